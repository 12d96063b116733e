import Foundation

/// Debian's docker-registry (the CNCF distribution registry) on 127.0.0.1,
/// with its storage in a temporary directory, optionally behind htpasswd
/// basic auth; stopped and removed by ``stop()``.
final class TestRegistry: @unchecked Sendable {
  let directory: String
  let port: UInt16
  private let process = Process()

  var address: String { "127.0.0.1:\(port)" }

  private init(directory: String, port: UInt16) {
    self.directory = directory
    self.port = port
  }

  /// Starts a registry and returns once it says it listens.
  static func start(user: (name: String, password: String)? = nil) async throws -> TestRegistry {
    let directory = try temporaryDirectory("registry")
    let registry = TestRegistry(directory: directory, port: try freePort())
    var config = """
      version: 0.1
      log:
        level: info
      storage:
        filesystem:
          rootdirectory: \(directory)/data
      http:
        addr: \(registry.address)
      """
    if let user {
      // The registry reads bcrypt only; glibc's crypt makes it.
      let hash = try await sh(
        "python3 -W ignore -c 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))' \"$1\"",
        user.password
      ).trimmingCharacters(in: .whitespacesAndNewlines)
      try Data("\(user.name):\(hash)\n".utf8).write(to: URL(fileURLWithPath: directory + "/htpasswd"))
      config += "\nauth:\n  htpasswd:\n    realm: cove-test\n    path: \(directory)/htpasswd\n"
    }
    try Data(config.utf8).write(to: URL(fileURLWithPath: directory + "/config.yml"))
    try await registry.run()
    return registry
  }

  private func run() async throws {
    process.executableURL = URL(fileURLWithPath: "/usr/bin/docker-registry")
    process.arguments = ["serve", directory + "/config.yml"]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let handle = output.fileHandleForReading
    let ready: Bool = await withCheckedContinuation { continuation in
      Thread.detachNewThread {
        var seen = Data()
        var answered = false
        while true {
          let chunk = handle.availableData
          if chunk.isEmpty { break }
          seen.append(chunk)
          if !answered, String(decoding: seen, as: UTF8.self).contains("listening on") {
            answered = true
            continuation.resume(returning: true)
          }
        }
        if !answered { continuation.resume(returning: false) }
      }
    }
    guard ready else {
      stop()
      throw TestFailure("docker-registry did not start (is the docker-registry package installed?)")
    }
  }

  func stop() {
    if process.isRunning {
      process.terminate()
      process.waitUntilExit()
    }
    try? FileManager.default.removeItem(atPath: directory)
  }

  /// A port nobody listens on now (the kernel's pick for port 0).
  static func freePort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
      }
    }
    guard bound else { throw TestFailure("cannot bind a port on 127.0.0.1") }
    return UInt16(bigEndian: address.sin_port)
  }
}
