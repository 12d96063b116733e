@_exported import CoveAPIModels
import Foundation

/// What can go wrong talking to `cove serve`.
public enum CoveClientError: Error, CustomStringConvertible, Sendable {
  /// The API answered with an error.
  case api(status: Int, code: String, message: String)
  case protocolViolation(String)
  case local(String)

  public var description: String {
    switch self {
    case .api(let status, let code, let message): "\(message) (\(status) \(code))"
    case .protocolViolation(let why): "unexpected answer from the daemon: \(why)"
    case .local(let why): why
    }
  }
}

public struct ExitStatus: Codable, Sendable {
  public var exitCode: Int32
  public var signal: Int32?
  public var timedOut: Bool

  enum CodingKeys: String, CodingKey {
    case signal
    case exitCode = "exit_code"
    case timedOut = "timed_out"
  }
}

extension ExecResult {
  /// The output's bytes, whether they came as text or base64.
  public var stdoutData: Data { base64 ? Data(base64Encoded: stdout) ?? Data() : Data(stdout.utf8) }
  public var stderrData: Data { base64 ? Data(base64Encoded: stderr) ?? Data() : Data(stderr.utf8) }
}

/// Which of a command's output streams a piece came from.
public enum OutputChannel: Sendable { case stdout, stderr }

struct Chunk: Codable {
  var data: String
}

struct APIErrorBody: Codable {
  struct Inner: Codable {
    var code: String
    var message: String
  }
  var error: Inner
}
