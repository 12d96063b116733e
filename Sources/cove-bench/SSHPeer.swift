import Foundation
import Subprocess

/// SSH as a user would run it: a new `ssh` process per command, key
/// authentication, host key checking off, to the guest's SSH server through
/// a port forward on the host's loopback.
struct SSHPeer: Peer, Sendable {
  let name = "ssh"
  let port: Int
  let identity: String
  var timeout: Duration = .seconds(120)

  func runTrue() async throws {
    _ = try await ssh("/bin/true")
  }

  func write(_ data: Data, to path: String) async throws {
    _ = try await ssh("cat > '\(path)'", input: [UInt8](data))
  }

  func read(_ path: String) async throws -> Data {
    Data(try await ssh("cat '\(path)'"))
  }

  var arguments: [String] {
    [
      "-T", "-i", identity, "-p", "\(port)", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
      "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
      "root@127.0.0.1",
    ]
  }

  /// Runs `command` in the guest and returns its standard output.
  func ssh(_ command: String, input: [UInt8]? = nil) async throws -> [UInt8] {
    let arguments = Arguments(self.arguments + [command])
    return try await withDeadline("ssh \(command)", timeout) {
      let result =
        if let input {
          try await Subprocess.run(
            .name("ssh"), arguments: arguments, input: .array(input), output: .bytes(limit: 1 << 30),
            error: .string(limit: 1 << 16))
        } else {
          try await Subprocess.run(
            .name("ssh"), arguments: arguments, output: .bytes(limit: 1 << 30), error: .string(limit: 1 << 16))
        }
      guard case .exited(0) = result.terminationStatus else {
        let message = result.standardError.trimmingCharacters(in: .whitespacesAndNewlines)
        throw BenchError.ssh("\(command): \(result.terminationStatus) \(message)")
      }
      return result.standardOutput
    }
  }
}
