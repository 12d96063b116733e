/// A command to run in a sandbox: for exec, exec/stream and background
/// processes.
public struct Command: Codable, Sendable, Equatable {
  public var cmd: [String]
  public var env: [String: String]?
  public var cwd: String?
  public var user: String?
  /// Seconds; the command's process group is killed after it.
  public var timeout: Int?
  /// Text given to the command's standard input, which is then closed.
  public var stdin: String?
  /// For background processes: a name to find it by.
  public var tag: String?

  public init(
    _ cmd: [String], env: [String: String]? = nil, cwd: String? = nil, user: String? = nil, timeout: Int? = nil,
    stdin: String? = nil, tag: String? = nil
  ) {
    self.cmd = cmd
    self.env = env
    self.cwd = cwd
    self.user = user
    self.timeout = timeout
    self.stdin = stdin
    self.tag = tag
  }
}

/// How a command ended and what it printed.
public struct ExecResult: Codable, Sendable, Equatable {
  public var stdout: String
  public var stderr: String
  public var exitCode: Int32
  public var signal: Int32?
  public var timedOut: Bool
  /// True when stdout and stderr are base64 because one was not UTF-8.
  public var base64: Bool
  /// True when output past the limit was dropped.
  public var truncated: Bool

  public init(
    stdout: String, stderr: String, exitCode: Int32, signal: Int32? = nil, timedOut: Bool, base64: Bool,
    truncated: Bool
  ) {
    self.stdout = stdout
    self.stderr = stderr
    self.exitCode = exitCode
    self.signal = signal
    self.timedOut = timedOut
    self.base64 = base64
    self.truncated = truncated
  }

  enum CodingKeys: String, CodingKey {
    case stdout, stderr, signal, base64, truncated
    case exitCode = "exit_code"
    case timedOut = "timed_out"
  }
}
