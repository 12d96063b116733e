import CCoveSystem
import CoveAgentProto
import Logging
import NIOCore
import NIOPosix
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

/// Starts, tracks and reaps the processes of the guest. One per agent.
public final class ProcessSupervisor: Sendable {
  private struct State {
    var processes: [pid_t: ManagedProcess] = [:]
    var defaultEnvironment: [String: String]
    /// Set by `killAll`: the agent is stopping and starts nothing more.
    var stopping = false
  }

  private let state: Mutex<State>
  let limits: AgentLimits
  let group: any EventLoopGroup
  /// Where the tasks of each process run: the event loop that reads its output.
  let executor: EventLoopExecutor
  let logger: Logger
  private let reaper: Reaper

  public init(limits: AgentLimits, group: any EventLoopGroup, environment: [String: String], logger: Logger) {
    var env = environment
    if env["PATH"] == nil { env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" }
    self.state = Mutex(State(defaultEnvironment: env))
    self.limits = limits
    self.group = group
    self.executor = EventLoopExecutor(group.next())
    self.logger = logger
    let box = Mutex<ProcessSupervisor?>(nil)
    self.reaper = Reaper { pid, status in box.withLock { $0 }?.childExited(pid, status) }
    box.withLock { $0 = self }
    reaper.start()
  }

  var defaultEnvironment: [String: String] {
    get { state.withLock { $0.defaultEnvironment } }
  }

  func setDefaultEnvironment(_ env: [String: String]) {
    state.withLock { $0.defaultEnvironment = env }
  }

  var count: Int { state.withLock { $0.processes.count } }

  var all: [ManagedProcess] {
    state.withLock { Array($0.processes.values) }.sorted { $0.pid < $1.pid }
  }

  func find(_ selector: Cove_Agent_V1_ProcessSelector) throws(AgentError) -> ManagedProcess {
    let found: ManagedProcess? = state.withLock { s in
      switch selector.selector {
      case .pid(let pid): return s.processes[pid_t(bitPattern: pid)]
      case .tag(let tag): return s.processes.values.first { !tag.isEmpty && $0.tag == tag }
      case nil: return nil
      }
    }
    guard let found else {
      switch selector.selector {
      case .pid(let pid): throw AgentError(.notFound, "no running process with pid \(pid)")
      case .tag(let tag): throw AgentError(.notFound, "no running process tagged \"\(tag)\"")
      case nil: throw AgentError(.invalidArgument, "select a process by pid or tag")
      }
    }
    return found
  }

  private func childExited(_ pid: pid_t, _ status: ExitStatus) {
    // Orphans adopted by the agent are not in the table: reaping them is all.
    let process = state.withLock { $0.processes[pid] }
    process?.exited(status)
  }

  private func remove(_ process: ManagedProcess) {
    state.withLock { _ = $0.processes.removeValue(forKey: process.pid) }
  }

  /// Kills every process (used when the agent stops). Nothing starts after
  /// it: a supervised service that exits does not come back.
  public func killAll() {
    let processes = state.withLock { s in
      s.stopping = true
      return Array(s.processes.values)
    }
    for process in processes { process.kill() }
  }

  var isStopping: Bool { state.withLock { $0.stopping } }

  // MARK: Start

  /// Starts a process described by `request` and subscribes `owner` to its
  /// events, the first of which is `started`. `user`, when given, replaces
  /// the lookup of `request.user`.
  func start(_ request: Cove_Agent_V1_StartRequest, owner: EventQueue, user: GuestUser? = nil)
    async throws(AgentError) -> ManagedProcess
  {
    let plan = try LaunchPlan(request, defaults: defaultEnvironment, user: user)
    let fds = try plan.makeDescriptors()
    var cleanup = fds.all
    defer { for fd in cleanup { close(fd) } }

    let (process, execFailure): (ManagedProcess, AgentError?) = try state.withLock { s throws(AgentError) in
      guard !s.stopping else { throw AgentError(.unavailable, "the agent is stopping") }
      guard s.processes.count < limits.maxProcesses else {
        throw AgentError(.resourceExhausted, "too many processes: the limit is \(limits.maxProcesses)")
      }
      if !request.tag.isEmpty, s.processes.values.contains(where: { $0.tag == request.tag }) {
        throw AgentError(.alreadyExists, "a running process is already tagged \"\(request.tag)\"")
      }
      let (pid, execFailure) = try plan.spawn(fds)
      let process = ManagedProcess(
        pid: pid, tag: request.tag, argv: request.argv, background: request.background,
        ptyMaster: fds.ptyMaster.map { dup($0) })
      s.processes[pid] = process
      return (process, execFailure)
    }
    reaper.childStarted()
    _ = process.subscribe(owner, owner: true)
    owner.offer(.with { $0.started = .with { $0.pid = UInt32(process.pid) } })

    // The child holds its ends now; the agent keeps only its own.
    for fd in fds.childEnds { close(fd) }
    cleanup = []
    logger.debug("started", metadata: ["pid": "\(process.pid)", "argv": "\(request.argv)"])

    if let execFailure {
      owner.offer(.with { $0.stderr = Data("cove-agent: \(execFailure.message)\n".utf8) })
    }
    try await supervise(process, fds: fds, timeoutMilliseconds: request.timeoutMs)
    return process
  }

  /// Hands the descriptors to NIO and runs the process's lifecycle task.
  private func supervise(_ process: ManagedProcess, fds: LaunchPlan.Descriptors, timeoutMilliseconds: UInt64)
    async throws(AgentError)
  {
    var outputs: [(NIOAsyncChannel<ByteBuffer, Never>, ManagedProcess.Stream)] = []
    var probes: [Int32] = []
    // Descriptors not yet owned by a channel; closed here if NIO refuses one.
    var unowned = Set([fds.stdoutRead, fds.stderrRead, fds.stdinWrite].compactMap { $0 })
    do {
      let bootstrap = NIOPipeBootstrap(group: group)
      for (fd, stream) in [(fds.stdoutRead, ManagedProcess.Stream.stdout), (fds.stderrRead, .stderr)] {
        guard let fd else { continue }
        let channel = try await bootstrap.takingOwnershipOfDescriptor(input: fd) { channel in
          channel.eventLoop.makeCompletedFuture {
            try NIOAsyncChannel<ByteBuffer, Never>(wrappingChannelSynchronously: channel)
          }
        }
        unowned.remove(fd)
        outputs.append((channel, stream))
        probes.append(fcntl(fd, F_DUPFD_CLOEXEC, 3))
      }
      if let fd = fds.stdinWrite {
        process.attachStdin(try await bootstrap.takingOwnershipOfDescriptor(output: fd).get())
        unowned.remove(fd)
      }
    } catch {
      for fd in unowned { close(fd) }
      for (channel, _) in outputs { try? await channel.channel.close() }
      for probe in probes where probe >= 0 { close(probe) }
      process.kill()
      remove(process)  // the reaper still reaps the child; nothing else tracks it
      throw AgentError(.internalError, "cannot watch the output of process \(process.pid): \(error)")
    }
    process.watchOutputs(zip(outputs, probes).map { ($0.0.0.channel, $0.1) })

    let timeout: Task<Void, Never>? =
      timeoutMilliseconds == 0
      ? nil
      : Task(executorPreference: executor) {
        try? await Task.sleep(for: .milliseconds(timeoutMilliseconds))
        if !Task.isCancelled { process.kill(timedOut: true) }
      }
    // The lifecycle task belongs to the process record; it ends when the
    // process has exited and its output was delivered.
    Task(executorPreference: executor) {
      await withTaskGroup(of: Void.self) { group in
        group.addTask { await process.closeLingeringOutput() }
        await withDiscardingTaskGroup { pumps in
          for (channel, stream) in outputs { pumps.addTask { await process.pump(channel, stream) } }
        }
        // Every output ended by itself: the watchdog has nothing to close.
        group.cancelAll()
      }
      let status = await process.exitStatus()
      timeout?.cancel()
      self.remove(process)
      await process.finish(status)
      self.logger.debug("exited", metadata: ["pid": "\(process.pid)", "status": "\(status)"])
    }
  }
}
