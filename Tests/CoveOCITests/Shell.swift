import CoveTestSupport
import Foundation

struct TestFailure: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// Runs `script` with /bin/sh (arguments as $1, $2, …) off Swift's pool
/// and returns its standard output; throws with its output when it fails.
@discardableResult
func sh(_ script: String, _ arguments: String..., in directory: String? = nil) async throws -> String {
  let arguments = arguments
  return try await offThePool { () throws -> String in
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", script, "sh"] + arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let errorText = ThreadedRead(errors.fileHandleForReading)
    let out = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: out, as: UTF8.self)
    guard process.terminationStatus == 0 else {
      throw TestFailure("sh -c \(script) exited \(process.terminationStatus): \(errorText.text)\(text)")
    }
    return text
  }
}

/// Reads a pipe to its end on a thread of its own.
final class ThreadedRead: @unchecked Sendable {
  private let done = DispatchSemaphore(value: 0)
  private var data = Data()

  init(_ handle: FileHandle) {
    Thread.detachNewThread { [self] in
      data = handle.readDataToEndOfFile()
      done.signal()
    }
  }

  var text: String {
    done.wait()
    return String(decoding: data, as: UTF8.self)
  }
}

func temporaryDirectory(_ purpose: String) throws -> String {
  let path = NSTemporaryDirectory() + "cove-\(purpose)-\(UUID().uuidString.prefix(8))"
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}
