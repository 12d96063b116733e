/// Limits of the agent's wire and of the calls every layer checks the same
/// way: the agent enforces them, and the host checks them early so that a
/// client hears the same rule, worded the same, from the API as from the agent.
public enum GuestLimits {
  /// The largest gRPC message the agent accepts or sends.
  public static let maxMessageBytes = 4 << 20

  /// Bytes the host puts in one message of a stream into the agent (file
  /// contents, standard input): well under ``maxMessageBytes``, which also
  /// counts the message's framing.
  public static let hostChunkBytes = 1 << 20

  /// The longest path, in bytes, a file call takes: the kernel's PATH_MAX
  /// (4096) counts the terminating NUL.
  public static let maxPathBytes = 4095

  /// Signals a client may send to a process.
  public static let signals: ClosedRange<Int32> = 1...64

  /// What a refused signal is told.
  public static let signalRule = "signal must be \(signals.lowerBound) to \(signals.upperBound)"
}
