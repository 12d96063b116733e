import CoveAgentProto

typealias Hook = Cove_Agent_V1_Hook
typealias HookOutcome = Cove_Agent_V1_HookOutcome

/// Where the guest's workload stands in its lifecycle, and so what each hook
/// may do now. A value with no I/O: `Lifecycle` asks it before running a
/// hook's command and tells it the outcome afterwards.
struct LifecycleState: Equatable, Sendable {
  private(set) var ready = false
  private(set) var ran = false
  private(set) var suspended = false
  private(set) var terminated = false

  /// What an Invoke of a hook does now.
  enum Decision: Equatable, Sendable {
    /// Run the hook's command and `settle` its outcome.
    case run
    /// Answer without running anything.
    case answer(HookOutcome, String)
  }

  func decide(_ hook: Hook) -> Decision {
    if terminated { return .answer(.refused, "the guest was terminated; no hook runs after terminate") }
    switch hook {
    case .ready:
      return ready ? .answer(.alreadyDone, "") : .run
    case .validate, .terminate:
      return .run
    case .run, .suspend, .resume:
      guard ready else { return .answer(.refused, "\(Self.name(hook)) before ready succeeded") }
      if hook == .run && ran { return .answer(.alreadyDone, "") }
      if hook == .suspend && suspended { return .answer(.alreadyDone, "") }
      if hook == .resume && !suspended { return .answer(.alreadyDone, "") }
      return .run
    case .unspecified, .UNRECOGNIZED:
      return .answer(.refused, "unknown hook")
    }
  }

  /// The outcome of a command that ran: DONE on exit 0; otherwise NOT_READY
  /// for ready and validate, FAILED for the others.
  static func outcome(of hook: Hook, exitCode: Int32) -> HookOutcome {
    if exitCode == 0 { return .done }
    return hook == .ready || hook == .validate ? .notReady : .failed
  }

  /// Records what a command that ran came to.
  mutating func settle(_ hook: Hook, _ outcome: HookOutcome) {
    switch hook {
    case .ready: if outcome == .done { ready = true }
    // The first run counts, whatever it came to: run never runs twice.
    case .run: ran = true
    case .suspend: if outcome == .done { suspended = true }
    case .resume: if outcome == .done { suspended = false }
    case .terminate: terminated = true
    case .validate, .unspecified, .UNRECOGNIZED: break
    }
  }

  /// The hook's name in the HTTP contract's paths.
  static func name(_ hook: Hook) -> String {
    switch hook {
    case .ready: "ready"
    case .validate: "validate"
    case .run: "run"
    case .suspend: "suspend"
    case .resume: "resume"
    case .terminate: "terminate"
    case .unspecified, .UNRECOGNIZED: "unspecified"
    }
  }

  static let hooks: [Hook] = [.ready, .validate, .run, .suspend, .resume, .terminate]

  static func hook(named name: Substring) -> Hook? {
    hooks.first { self.name($0) == name }
  }
}
