/// How a process ended: its exit code, or the signal that killed it.
///
/// The one home of the shell's rule that a process killed by signal N
/// reports 128 + N; the agent, the API, the CLI and the host's run all read
/// ``shellCode`` rather than doing the sum themselves.
public enum ExitStatus: Hashable, Sendable {
  case exited(Int32)
  case signaled(Int32)

  /// The code a shell would report: the exit code, or 128 + the signal.
  public var shellCode: Int32 {
    switch self {
    case .exited(let code): code
    case .signaled(let signal): Self.signalOffset + signal
    }
  }

  /// The signal that ended the process; nil when it exited by itself.
  public var signal: Int32? {
    switch self {
    case .exited: nil
    case .signaled(let signal): signal
    }
  }

  /// What a shell adds to a signal's number to make an exit code.
  public static let signalOffset: Int32 = 128

  /// The code a program reports when it ends because it received `signal`
  /// itself (as `cove run` does when interrupted).
  public static func shellCode(forSignal signal: Int32) -> Int32 { signaled(signal).shellCode }
}
