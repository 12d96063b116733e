import CoveAgentProto

/// How long a service waits before it is started again: the first delay,
/// doubled after each run that ended within 10 s of its start, up to 30 s,
/// and back to the first delay after a run that lasted longer.
struct RestartBackoff: Sendable {
  static let maxDelayMilliseconds: UInt64 = 30_000
  /// A run shorter than this is a quick failure.
  static let quickRunMilliseconds: UInt64 = 10_000

  let first: UInt64
  private var next: UInt64

  init(firstMilliseconds: UInt64) {
    first = min(firstMilliseconds, Self.maxDelayMilliseconds)
    next = first
  }

  /// The delay before the next start, after a run of `ran` milliseconds.
  mutating func delay(afterRunning ran: UInt64) -> UInt64 {
    if ran >= Self.quickRunMilliseconds { next = first }
    let delay = next
    next = min(next * 2, Self.maxDelayMilliseconds)
    return delay
  }
}

extension Cove_Agent_V1_RestartPolicy {
  /// Whether a service that ended so comes back; nil is a start that failed.
  func restarts(after exit: ExitStatus?) -> Bool {
    switch self {
    case .restartAlways: true
    case .restartOnFailure, .UNRECOGNIZED: exit != .exited(0)
    case .restartNever: false
    }
  }
}
