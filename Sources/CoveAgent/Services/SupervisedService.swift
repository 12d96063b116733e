import CoveAgentProto
import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// One service: its current process, its restarts, and the task that
/// watches it, writes its output to its log and starts it again.
final class SupervisedService: Sendable {
  typealias Phase = Cove_Agent_V1_ServiceStatus.State

  /// How long a stopped service has between SIGTERM and SIGKILL.
  static let stopGraceMilliseconds: UInt64 = 5_000

  private struct State {
    var phase: Phase = .running
    var process: ManagedProcess?
    var restarts: UInt32 = 0
    var lastExit: Int32 = -1
    var stopping = false
    var pause: Task<Void, Never>?
    var watcher: Task<Void, Never>?
  }

  /// A process just started, with the queue its events arrive on.
  struct Launch: Sendable {
    var process: ManagedProcess
    var events: EventQueue
    var startedAt: UInt64
  }

  let definition: ServiceDefinition
  let logPath: String
  private let state = Mutex(State())
  private let supervisor: ProcessSupervisor
  private let logger: Logger

  init(_ definition: ServiceDefinition, logPath: String, supervisor: ProcessSupervisor, logger: Logger) {
    self.definition = definition
    self.logPath = logPath
    self.supervisor = supervisor
    self.logger = logger
  }

  var status: Cove_Agent_V1_ServiceStatus {
    state.withLock { s in
      .with {
        $0.name = definition.name
        $0.state = s.phase
        $0.pid = s.process.map { UInt32($0.pid) } ?? 0
        $0.restarts = s.restarts
        $0.lastExit = s.lastExit
        $0.uid = definition.identity.uid
        $0.gid = definition.identity.gid
        $0.logPath = logPath
      }
    }
  }

  /// Starts one process of the service.
  func launch() async throws(AgentError) -> Launch {
    try definition.makeRuntimeDirectory()
    let events = EventQueue(capacity: 16)
    let process = try await supervisor.start(definition.request, owner: events, user: definition.launchUser)
    return Launch(process: process, events: events, startedAt: monotonicMilliseconds())
  }

  /// Watches `first` and the processes after it until the service is
  /// stopped or its policy lets it rest.
  func watch(_ first: Launch, log: ServiceLog) {
    state.withLock { $0.process = first.process }
    let watcher = Task { await self.supervise(first, log: log) }
    state.withLock { $0.watcher = watcher }
  }

  private func supervise(_ first: Launch, log: ServiceLog) async {
    var log = log
    var backoff = RestartBackoff(firstMilliseconds: definition.firstRestartDelayMilliseconds)
    var current: Launch? = first
    while true {
      var exit: ExitStatus? = nil
      var ran: UInt64 = 0
      if let launch = current {
        exit = await drain(launch, into: &log)
        ran = monotonicMilliseconds() - launch.startedAt
      }
      let again = state.withLock { s in
        s.process = nil
        if let exit { s.lastExit = exit.shellCode }
        let again = !s.stopping && !supervisor.isStopping && definition.restart.restarts(after: exit)
        s.phase = again ? .backoff : .exited
        return again
      }
      logger.info(
        "service ended",
        metadata: ["service": "\(definition.name)", "exit": "\(exit.map { "\($0)" } ?? "none: not started")"])
      guard again, await pause(backoff.delay(afterRunning: ran)) else { break }
      do {
        let launch = try await launch()
        current = launch
        let kept = state.withLock { s in
          s.restarts += 1
          guard !s.stopping else { return false }
          (s.phase, s.process) = (.running, launch.process)
          return true
        }
        // Stopped while it was starting: it goes at once, and is drained below.
        if !kept { launch.process.kill() }
      } catch {
        current = nil
        state.withLock { $0.restarts += 1 }
        log.append(Array("cove-agent: cannot start service \(definition.name): \(error.message)\n".utf8))
      }
    }
    log.finish()
  }

  /// Appends the process's output to the log until it ended; returns how.
  private func drain(_ launch: Launch, into log: inout ServiceLog) async -> ExitStatus {
    while let event = await launch.events.next() {
      switch event.event {
      case .stdout(let data), .stderr(let data): log.append(Array(data))
      case .started, .exited, nil: break
      }
    }
    return await launch.process.exitStatus()
  }

  /// Waits before a restart; false when the service was stopped meanwhile.
  private func pause(_ milliseconds: UInt64) async -> Bool {
    let sleeper = Task { _ = try? await Task.sleep(for: .milliseconds(milliseconds)) }
    let stopped = state.withLock { s in
      s.pause = sleeper
      return s.stopping
    }
    if stopped { sleeper.cancel() }
    await sleeper.value
    return state.withLock { s in
      s.pause = nil
      return !s.stopping
    }
  }

  /// Stops the service for good: SIGTERM to its process group, SIGKILL
  /// after the grace period, and no restart. Returns once it is down.
  func stop() async -> Cove_Agent_V1_ServiceStatus {
    let (process, pause, watcher) = state.withLock { s in
      s.stopping = true
      return (s.process, s.pause, s.watcher)
    }
    pause?.cancel()
    if let process {
      process.kill(signal: SIGTERM)
      await withTaskGroup(of: Void.self) { group in
        group.addTask { _ = await process.exitStatus() }
        group.addTask {
          try? await Task.sleep(for: .milliseconds(Self.stopGraceMilliseconds))
          if !Task.isCancelled { process.kill(signal: SIGKILL) }
        }
        _ = await group.next()
        group.cancelAll()
      }
    }
    await watcher?.value
    return status
  }
}
