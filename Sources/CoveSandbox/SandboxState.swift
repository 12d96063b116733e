/// Where a sandbox is in its life. Every change goes through
/// ``transition(to:)``, which refuses the moves that make no sense.
///
/// ```
///  queued ◀─────────────────────┐ resume
///     │                         │
///     ▼                         │
/// starting ─▶ running ⇄ paused  │
///  │  │        │  ▲       │     │
///  │  │        ▼  │       │     │
///  │  │    snapshotting ◀─┘     │
///  │  │        │                │
///  │  └──────▶ suspended ───────┴──┐
///  ▼                               ▼
/// error ─▶ stopping ───────────▶ stopped
/// ```
///
/// (queued ─▶ suspended too: a resume that fails or is given up while it
/// waits leaves the sandbox as it was.)
///
/// A queued sandbox waits for its turn to boot (``BootAdmission``); a
/// delete then cancels it (queued → stopping → stopped, then the row goes).
/// A suspended sandbox has no VM: its memory, device state and disk are
/// on disk. Resuming it waits its turn to boot like a new sandbox
/// (suspended → queued → starting), and goes back to `suspended` when the
/// resume fails.
public enum SandboxState: String, Codable, Sendable, CaseIterable {
  case queued, starting, running, paused, snapshotting, suspended, stopping, stopped, error

  /// The states this one may move to.
  public var successors: Set<SandboxState> {
    switch self {
    case .queued: [.starting, .suspended, .stopping, .error]
    case .starting: [.running, .suspended, .stopping, .error]
    case .running: [.paused, .snapshotting, .stopping, .error]
    case .paused: [.running, .snapshotting, .stopping, .error]
    case .snapshotting: [.running, .paused, .suspended, .stopping, .error]
    case .suspended: [.queued, .stopping]
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

  /// Whether a VM exists for the sandbox, or is about to (it counts
  /// against the limits).
  public var holdsMachine: Bool {
    switch self {
    case .queued, .starting, .running, .paused, .snapshotting, .stopping: true
    case .suspended, .stopped, .error: false
    }
  }

  /// Whether the sandbox still needs what it was made from: a VM, or a
  /// suspended one's snapshot (whose disk may lie over a template's).
  public var isLive: Bool { holdsMachine || self == .suspended }
}
