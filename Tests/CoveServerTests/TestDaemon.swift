import AsyncHTTPClient
import CoveClient
import CoveTestSupport
import Foundation
import NIOCore
import NIOHTTP1

/// A real `cove serve` on a free port with its own data directory, the test
/// home's kernel and busybox image, and one API key.
final class TestDaemon: @unchecked Sendable {
  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

  static var binary: String {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidate = beside.appendingPathComponent("cove").path
    return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : packageRoot + "/.build/debug/cove"
  }

  static var environment: [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["COVE_HOME"] = packageRoot + "/.build/test-home"
    environment["COVE_AGENT"] = environment["COVE_AGENT"] ?? packageRoot + "/.build/static/cove-agent"
    return environment
  }

  let data: String
  let arguments: [String]
  /// Added to the daemon's environment.
  let extraEnvironment: [String: String]
  private(set) var process: Process?
  private(set) var url = ""
  private(set) var key = ""

  init(arguments: [String] = [], environment: [String: String] = [:]) async throws {
    data = "/tmp/cove-serve-test-\(UUID().uuidString.prefix(8))"
    self.arguments = arguments
    self.extraEnvironment = environment
    key = try await Self.run(["keys", "create", "--data", data]).split(separator: "\n").last.map(String.init) ?? ""
    try await start()
  }

  /// Runs `cove ARGS` to the end and returns its standard output.
  @discardableResult
  static func run(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> String {
    let (status, out, err) = try await runWithStatus(arguments, environment: extra)
    guard status == 0 else { throw TestFailure("cove \(arguments.joined(separator: " ")) exited \(status): \(err)") }
    return out
  }

  static func runWithStatus(_ arguments: [String], environment extra: [String: String] = [:]) async throws
    -> (Int32, String, String)
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    process.environment = environment.merging(extra) { $1 }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let ended = await process.finish(output: out, error: err)
    return (ended.status, ended.standardOutput, ended.standardError)
  }

  /// Starts the daemon and waits until it listens.
  func start() async throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.binary)
    process.arguments = ["serve", "--listen", "127.0.0.1:0", "--data", data] + arguments
    process.environment = Self.environment.merging(extraEnvironment) { $1 }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.standardError
    try process.run()
    self.process = process
    let line = try await offThePool {
      var buffer = Data()
      while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty {
        if byte == Data("\n".utf8) { break }
        buffer.append(byte)
      }
      return String(decoding: buffer, as: UTF8.self)
    }
    guard let range = line.range(of: "http://") else { throw TestFailure("cove serve did not start: \(line)") }
    url = String(line[range.lowerBound...])
  }

  var client: CoveClient { CoveClient(baseURL: url, key: key) }

  /// Sends a signal and waits for the daemon to exit.
  func stop(signal: Int32 = SIGTERM) async {
    guard let process, process.isRunning else { return }
    kill(process.processIdentifier, signal)
    await process.exited()
    self.process = nil
  }

  /// The directory the daemon's VMs live in.
  var runDirectory: String {
    let hash = Self.sha256(URL(fileURLWithPath: data).standardized.path).prefix(8)
    return "/tmp/cove-\(getuid())-serve-\(hash)"
  }

  static func sha256(_ text: String) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try? process.run()
    input.fileHandleForWriting.write(Data(text.utf8))
    try? input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
  }

  /// QEMU processes started for this daemon's sandboxes.
  var qemuProcesses: [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(pid_t.init).filter { pid in
      guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
      return String(decoding: cmdline, as: UTF8.self).contains(runDirectory + "/")
    }
  }

  /// Stops the daemon (and so its sandboxes) and removes its data. It
  /// blocks, so that a `defer` can call it and the test waits for it.
  func finish() {
    if let process, process.isRunning {
      kill(process.processIdentifier, SIGTERM)
      process.waitUntilExit()
    }
    try? FileManager.default.removeItem(atPath: data)
  }

  /// A raw request, for what the typed client does not send: bad JSON, no key.
  func raw(_ method: HTTPMethod, _ path: String, body: String? = nil, key: String?? = .none) async throws
    -> (status: Int, body: String)
  {
    var request = HTTPClientRequest(url: url + path)
    request.method = method
    if let key = key ?? self.key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
    if let body { request.body = .bytes(ByteBuffer(string: body)) }
    let response = try await CoveClient.sharedHTTP.execute(request, timeout: .minutes(10))
    let data = try await response.body.collect(upTo: 16 << 20)
    return (Int(response.status.code), String(buffer: data))
  }
}

struct TestFailure: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// Waits until `condition` holds, up to `seconds`.
func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
  let deadline = Date().addingTimeInterval(seconds)
  while Date() < deadline {
    if try await condition() { return true }
    try await Task.sleep(for: .milliseconds(200))
  }
  return try await condition()
}
