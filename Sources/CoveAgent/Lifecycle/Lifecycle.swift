import CoveAgentProto
import Logging
import Synchronization

// Data only: FoundationEssentials keeps ICU and CoreFoundation out of the agent.
#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The lifecycle hooks: their commands, where the workload stands, and the
/// hooks run so far. gRPC's Invoke and the HTTP contract both end here, and
/// one hook runs at a time, so that "once" means once.
final class Lifecycle: Sendable {
  typealias Commands = [Hook: Cove_Agent_V1_HookCommand]

  /// Records kept in the history.
  static let historyLimit = 256
  /// A command's stdout returned, at most.
  static let outputLimit = 1 << 20
  /// The end of a failed command's stderr returned as its message.
  static let messageLimit = 4 << 10
  static let defaultTimeoutMilliseconds: UInt64 = 60_000

  private struct State {
    var machine = LifecycleState()
    var commands: Commands = [:]
    var history: [Cove_Agent_V1_HookRecord] = []
  }

  private let state = Mutex(State())
  private let gate = AsyncGate()
  let supervisor: ProcessSupervisor
  let logger: Logger

  init(supervisor: ProcessSupervisor, logger: Logger) {
    self.supervisor = supervisor
    self.logger = logger
  }

  /// The commands that `bindings` give the hooks. A binding with an empty
  /// argv leaves its hook without a command.
  static func commands(_ bindings: [Cove_Agent_V1_HookBinding]) throws(AgentError) -> Commands {
    var commands: Commands = [:]
    var bound: Set<Hook> = []
    for binding in bindings {
      guard LifecycleState.hooks.contains(binding.hook) else {
        throw AgentError(.invalidArgument, "a hook binding must name a hook")
      }
      let name = LifecycleState.name(binding.hook)
      guard bound.insert(binding.hook).inserted else {
        throw AgentError(.invalidArgument, "hook \(name) is bound twice")
      }
      if binding.command.argv.isEmpty { continue }
      do {
        try LaunchPlan.validate(argv: binding.command.argv, env: binding.command.env)
      } catch {
        throw AgentError(.invalidArgument, "hook \(name): \(error.message)")
      }
      commands[binding.hook] = binding.command
    }
    return commands
  }

  /// Replaces the hook commands; which hooks have run is kept.
  func setCommands(_ commands: Commands) {
    state.withLock { $0.commands = commands }
  }

  var history: [Cove_Agent_V1_HookRecord] { state.withLock { $0.history } }

  /// Runs a hook, or answers without running it when the state says so.
  func invoke(_ hook: Hook, payload: [UInt8]) async -> Cove_Agent_V1_InvokeHookResponse {
    await gate.serialized {
      let (decision, command) = state.withLock { ($0.machine.decide(hook), $0.commands[hook]) }
      var response = Cove_Agent_V1_InvokeHookResponse()
      switch decision {
      case .answer(let outcome, let message):
        response.outcome = outcome
        response.message = message
      case .run:
        let started = monotonicMilliseconds()
        response = await run(hook, command, payload: payload)
        logger.info(
          "hook ran",
          metadata: [
            "hook": "\(LifecycleState.name(hook))", "outcome": "\(response.outcome)",
            "exit": "\(response.exitCode)", "ms": "\(monotonicMilliseconds() - started)",
          ])
      }
      // ALREADY_DONE ran nothing and is not history.
      let recorded = decision == .run || response.outcome == .refused
      state.withLock { s in
        if decision == .run { s.machine.settle(hook, response.outcome) }
        guard recorded else { return }
        s.history.append(
          .with {
            $0.hook = hook
            $0.outcome = response.outcome
            $0.unixMs = Self.unixMilliseconds()
          })
        if s.history.count > Self.historyLimit { s.history.removeFirst(s.history.count - Self.historyLimit) }
      }
      return response
    }
  }

  /// Runs the hook's command; a hook without one succeeds at once.
  private func run(_ hook: Hook, _ command: Cove_Agent_V1_HookCommand?, payload: [UInt8]) async
    -> Cove_Agent_V1_InvokeHookResponse
  {
    var response = Cove_Agent_V1_InvokeHookResponse()
    guard let command else {
      response.outcome = .done
      return response
    }
    let timeout = command.timeoutMs == 0 ? Self.defaultTimeoutMilliseconds : command.timeoutMs
    var request = Cove_Agent_V1_StartRequest()
    request.argv = command.argv
    request.env = command.env
    request.user = command.user
    request.timeoutMs = timeout
    request.cwd = command.user.isEmpty ? "/" : (UserDatabase.lookup(command.user)?.startDirectory ?? "/")
    do {
      let finished = try await supervisor.runToEnd(
        request, input: payload, stdoutLimit: Self.outputLimit, stderrLimit: Self.messageLimit)
      response.exitCode = finished.status.shellCode
      response.output = Data(finished.stdout)
      response.outcome = LifecycleState.outcome(of: hook, exitCode: response.exitCode)
      if response.outcome != .done {
        response.message = Self.failureMessage(finished, timeout: timeout)
      }
    } catch {
      response.outcome = .failed
      response.message = error.message
    }
    return response
  }

  /// Why a command failed: the end of its stderr, or how it ended when it
  /// said nothing.
  static func failureMessage(_ finished: FinishedProcess, timeout: UInt64) -> String {
    var message = String(decoding: finished.stderrTail, as: UTF8.self)
    if finished.timedOut {
      message = "timed out after \(timeout) ms" + (message.isEmpty ? "" : "\n" + message)
    } else if message.isEmpty {
      switch finished.status {
      case .exited(let code): message = "exited with code \(code)"
      case .signaled(let signal): message = "killed by signal \(signal)"
      }
    }
    return message
  }

  static func unixMilliseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
  }
}
