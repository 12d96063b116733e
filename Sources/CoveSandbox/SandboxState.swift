/// Where a sandbox is in its life. Every change goes through
/// ``transition(to:)``, which refuses the moves that make no sense.
///
/// ```
/// starting ─▶ running ⇄ paused
///    │          │  ▲       │
///    │          ▼  │       │
///    │     snapshotting    │
///    ▼          │          ▼
///  error ─▶ stopping ─▶ stopped
/// ```
public enum SandboxState: String, Codable, Sendable, CaseIterable {
  case starting, running, paused, snapshotting, stopping, stopped, error

  /// The states this one may move to.
  public var successors: Set<SandboxState> {
    switch self {
    case .starting: [.running, .stopping, .error]
    case .running: [.paused, .snapshotting, .stopping, .error]
    case .paused: [.running, .stopping, .error]
    case .snapshotting: [.running, .paused, .stopping, .error]
    case .stopping: [.stopped]
    case .error: [.stopping, .stopped]
    case .stopped: []
    }
  }

  /// The next state, or ``SandboxError/illegalTransition`` when `next` is
  /// not one of ``successors``.
  public func transition(to next: SandboxState) throws(SandboxError) -> SandboxState {
    guard successors.contains(next) else { throw .illegalTransition(from: self, to: next) }
    return next
  }

  /// Whether a VM exists for the sandbox (it counts against the limits).
  public var holdsMachine: Bool {
    switch self {
    case .starting, .running, .paused, .snapshotting, .stopping: true
    case .stopped, .error: false
    }
  }
}
