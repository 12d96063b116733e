import CoveAPIModels
import CoveMachine
import Foundation

/// One hook that ran (or was refused) in a sandbox.
public struct HookRecord: Sendable {
  public var hook: String
  public var outcome: HookResult.Outcome
  public var at: Date
}

extension SandboxManager {
  static func invoke(
    _ hook: GuestHook, agent: any GuestAgent, payload: Data = Data(), timeout: Duration? = nil
  ) async throws -> HookResult {
    try await agent.invoke(hook, payload: payload, timeout: timeout)
  }

  /// Sets up a template's guest before its start and ready commands: the
  /// hooks (ready is the ready command), then the services.
  static func prepare(
    _ agent: any GuestAgent, ready: [String]?, hooks: TemplateHooks, services: [GuestService]
  ) async throws {
    do {
      try await agent.configureHooks(hooks.commands(ready: ready), httpPort: hooks.httpPort)
      for service in services { try await agent.startService(service.spec) }
    } catch let error as GuestError where [.invalidArgument, .alreadyExists, .notFound].contains(error.code) {
      throw SandboxError.invalidRequest(error.message)
    }
  }

  /// Runs the ready hook until it is done; a command that cannot run (127),
  /// fails outright, or is still not ready after the ready timeout is an error.
  func waitUntilReady(_ agent: any GuestAgent) async throws {
    let deadline = ContinuousClock.now + configuration.readyTimeout
    while true {
      let result = try await Self.invoke(.ready, agent: agent)
      switch result.outcome {
      case .done, .alreadyDone: return
      case .notReady where result.exitCode == 127:
        throw SandboxError.invalidRequest("the ready command cannot run: \(result.message)")
      case .notReady:
        guard ContinuousClock.now < deadline else {
          throw SandboxError.invalidRequest(
            "the ready command still fails (exit \(result.exitCode)) after the ready timeout: \(result.message)")
        }
        try await Task.sleep(for: .milliseconds(300))
      case .failed, .refused:
        throw SandboxError.invalidRequest("the ready hook failed: \(result.message)")
      }
    }
  }

  /// A new clone's hooks: validate (asked again for up to 10 s while it says
  /// not yet), then run, once, with the payload.
  static func launch(_ agent: any GuestAgent, payload: Data) async throws {
    let deadline = ContinuousClock.now + .seconds(10)
    while true {
      let result = try await invoke(.validate, agent: agent)
      if result.succeeded { break }
      guard result.outcome == .notReady, ContinuousClock.now < deadline else {
        throw SandboxError.bootFailed("the validate hook failed (exit \(result.exitCode)): \(result.message)")
      }
      try await Task.sleep(for: .milliseconds(200))
    }
    let run = try await invoke(.run, agent: agent, payload: payload)
    guard run.succeeded else {
      throw SandboxError.bootFailed("the run hook failed (exit \(run.exitCode)): \(run.message)")
    }
  }

  /// The hooks of the template a sandbox was cloned from, when it has them.
  func hooks(of record: SandboxRecord) async -> TemplateHooks? {
    guard let name = record.template else { return nil }
    return try? await store.template(name)?.hooks
  }

  // MARK: API

  /// Runs one hook in a running sandbox, e.g. run with a payload.
  public func invokeHook(_ id: String, hook name: String, payload: Data) async throws -> HookResult {
    guard let hook = GuestHook(rawValue: name) else {
      throw SandboxError.invalidRequest(
        "no hook \(name); hooks are \(GuestHook.allCases.map(\.rawValue).sorted().joined(separator: ", "))")
    }
    return try await Self.invoke(hook, agent: guest(id, for: "running a hook"), payload: payload)
  }

  /// The hooks that ran in a running sandbox, oldest first.
  public func hookHistory(_ id: String) async throws -> [HookRecord] {
    try await guest(id, for: "the hook history").hookHistory().map { run in
      HookRecord(hook: run.hook?.rawValue ?? "unknown", outcome: run.outcome, at: run.at)
    }
  }

  /// The supervised services of a running sandbox.
  public func services(_ id: String) async throws -> [ServiceState] {
    try await guest(id, for: "listing services").listServices()
  }

  /// The end of a service's log.
  public func serviceLogs(_ id: String, name: String, tailBytes: Int = 65_536) async throws -> Data {
    try await guest(id, for: "service logs").serviceLogs(named: name, tailBytes: tailBytes)
  }
}
