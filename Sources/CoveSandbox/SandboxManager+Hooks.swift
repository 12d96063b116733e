import CoveAPIModels
import CoveAgentProto
import CoveMachine
import Foundation
import GRPCCore

/// A lifecycle hook's answer, as the agent gave it.
public struct HookResult: Sendable {
  public enum Outcome: String, Sendable {
    case done, notReady = "not_ready", alreadyDone = "already_done", failed, refused
  }

  public var outcome: Outcome
  public var exitCode: Int32
  /// The command's stdout (the run hook's result).
  public var output: Data
  /// Why, when it did not succeed.
  public var message: String

  init(_ response: Cove_Agent_V1_InvokeHookResponse) {
    outcome = Outcome(response.outcome)
    exitCode = response.exitCode
    output = response.output
    message = response.message
  }

  public var succeeded: Bool { outcome == .done || outcome == .alreadyDone }
}

extension HookResult.Outcome {
  init(_ outcome: Cove_Agent_V1_HookOutcome) {
    self =
      switch outcome {
      case .done: .done
      case .notReady: .notReady
      case .alreadyDone: .alreadyDone
      case .refused: .refused
      case .failed, .unspecified, .UNRECOGNIZED: .failed
      }
  }
}

/// One hook that ran (or was refused) in a sandbox.
public struct HookRecord: Sendable {
  public var hook: String
  public var outcome: HookResult.Outcome
  public var at: Date
}

extension SandboxManager {
  public static let hookNames: [String: Cove_Agent_V1_Hook] = [
    "ready": .ready, "validate": .validate, "run": .run, "suspend": .suspend, "resume": .resume,
    "terminate": .terminate,
  ]

  static func invoke(
    _ hook: Cove_Agent_V1_Hook, agent: AgentConnection, payload: Data = Data(), timeout: Duration? = nil
  ) async throws -> HookResult {
    var options = CallOptions.defaults
    options.timeout = timeout
    let response = try await agent.lifecycle.invoke(
      .with {
        $0.hook = hook
        $0.payload = payload
      }, options: options)
    return HookResult(response)
  }

  /// Sets up a template's guest before its start and ready commands: the
  /// hooks (ready is the ready command), then the services.
  static func prepare(
    _ agent: AgentConnection, ready: [String]?, hooks: TemplateHooks, services: [GuestService]
  ) async throws {
    do {
      _ = try await agent.lifecycle.configure(hooks.configuration(ready: ready))
      for service in services { _ = try await agent.services.start(service.spec) }
    } catch let error as RPCError where [.invalidArgument, .alreadyExists, .notFound].contains(error.code) {
      throw SandboxError.invalidRequest(error.message)
    }
  }

  /// Runs the ready hook until it is done; a command that cannot run (127),
  /// fails outright, or is still not ready after the ready timeout is an error.
  func waitUntilReady(_ agent: AgentConnection) async throws {
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
  static func launch(_ agent: AgentConnection, payload: Data) async throws {
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
    guard let hook = Self.hookNames[name] else {
      throw SandboxError.invalidRequest(
        "no hook \(name); hooks are \(Self.hookNames.keys.sorted().joined(separator: ", "))")
    }
    return try await Self.invoke(hook, agent: agent(id, for: "running a hook"), payload: payload)
  }

  /// The hooks that ran in a running sandbox, oldest first.
  public func hookHistory(_ id: String) async throws -> [HookRecord] {
    let names = Dictionary(uniqueKeysWithValues: Self.hookNames.map { ($1, $0) })
    let status = try await agent(id, for: "the hook history").lifecycle.status(.init())
    return status.history.map { record in
      HookRecord(
        hook: names[record.hook] ?? "unknown",
        outcome: HookResult.Outcome(record.outcome),
        at: Date(timeIntervalSince1970: Double(record.unixMs) / 1000))
    }
  }

  /// The supervised services of a running sandbox.
  public func services(_ id: String) async throws -> [Cove_Agent_V1_ServiceStatus] {
    try await agent(id, for: "listing services").services.list(.init()).services
  }

  /// The end of a service's log.
  public func serviceLogs(_ id: String, name: String, tailBytes: Int = 65_536) async throws -> Data {
    try await agent(id, for: "service logs").services.logs(
      .with {
        $0.name = name
        $0.tailBytes = UInt32(clamping: tailBytes)
      }
    ).data
  }
}
