import CoveImages
import Foundation
import GRPCCore
import Logging
import Synchronization

/// A microVM run by QEMU's `microvm` machine. QEMU is started daemonized
/// (its own session, so a Ctrl-C at the terminal reaches Cove, which then
/// stops the VM in order) and driven over QMP.
public final class QEMUMachine: VirtualMachine {
  public let id: String
  public let configuration: MachineConfiguration
  public let directory: VMDirectory
  let logger: Logger

  private struct State {
    var qmp: QMPClient?
    var pid: pid_t?
    var agent: AgentConnection?
    var removed = false
    /// Set for a VM taken over from an earlier Cove process: its guest opened
    /// the agent port long ago, and QMP does not repeat old events.
    var portOpened = false
    /// The snapshot whose files a VM that takes one over holds until
    /// ``keepSnapshotFiles()`` (see ``MachineConfiguration/restoreTakesOver``).
    var borrowed: MachineSnapshot?
    /// How the QEMU is confined, once started.
    var confined: ConfinedVMM?
  }
  private let state: Mutex<State>

  public init(configuration: MachineConfiguration, id: String? = nil, logger: Logger = Logger(label: "cove.vm")) {
    let id = id ?? String(UUID().uuidString.lowercased().prefix(8))
    self.id = id
    self.configuration = configuration
    self.directory = VMDirectory(path: "\(configuration.runDirectory)/\(id)")
    var logger = logger
    logger[metadataKey: "vm"] = "\(id)"
    self.logger = logger
    var initial = State()
    if configuration.restoreTakesOver { initial.borrowed = configuration.restore }
    self.state = Mutex(initial)
  }

  public var pid: pid_t? { state.withLock { $0.pid } }
  public var qmp: QMPClient? { state.withLock { $0.qmp } }
  /// How its QEMU is confined (uid, view, cgroup and limits); nil before start.
  public var confined: ConfinedVMM? { state.withLock { $0.confined } }

  public func start() async throws {
    let clock = ContinuousClock()
    let started = clock.now
    try validateInputs()
    Self.sweepAbandoned(in: configuration.runDirectory, logger: logger)
    let manager = FileManager.default
    try manager.createDirectory(
      atPath: directory.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    do {
      try String(getpid()).write(toFile: directory.ownerFile, atomically: false, encoding: .utf8)
      if configuration.restoreTakesOver, let snapshot = configuration.restore {
        try borrowFiles(of: snapshot)
      } else {
        try await HostCommand.run(
          "qemu-img",
          [
            "create", "-q", "-f", "qcow2", "-F", configuration.rootImageFormat, "-b", configuration.rootImage,
            directory.overlay,
          ],
          package: "qemu-utils")
      }
      let confined = try configuration.confinement.prepare(
        id: id, directory: directory, configuration: configuration, logger: logger)
      state.withLock { $0.confined = confined }
      let arguments =
        QEMUCommandLine(configuration: configuration, directory: directory).arguments + confined.arguments
      logger.debug("starting QEMU", metadata: ["arguments": "\(arguments.joined(separator: " "))"])
      let command = try confined.command(qemu: configuration.qemuBinary, arguments: arguments)
      try await Self.launchQEMU(
        command.program, command.arguments, environment: QEMUCommandLine.environment(),
        hugePages: QEMUCommandLine.transparentHugePages(configuration.accelerator))
      guard let pid = directory.qemuPID else { throw MachineError.qemuFailed("no pid file") }
      state.withLock { $0.pid = pid }
      // Still stopped (-S, -incoming defer): the guest runs nothing outside it.
      try confined.place(pid)
      let qmp = try await QMPClient.connect(path: directory.qmpSocket)
      state.withLock { $0.qmp = qmp }
      if let snapshot = configuration.restore {
        try await restore(from: snapshot, qmp: qmp)
      } else {
        // Started stopped (-S): it runs once QMP listens for its events.
        try await qmp.cont()
      }
      logger.info(
        "VM started",
        metadata: [
          "pid": "\(pid)", "accelerator": "\(configuration.accelerator)",
          "took_ms": "\((clock.now - started).milliseconds)",
        ])
    } catch {
      await kill()
      throw error
    }
  }

  /// Takes over a running VM that an earlier Cove process started (found by
  /// the pid file in its directory), e.g. after the daemon restarted. Throws
  /// ``MachineError/notRunning`` when its QEMU is gone.
  public func attach() async throws {
    guard let pid = directory.qemuPID, processIsAlive(pid), isQEMU(pid, of: directory) else {
      throw MachineError.notRunning
    }
    try String(getpid()).write(toFile: directory.ownerFile, atomically: true, encoding: .utf8)
    let qmp = try await QMPClient.connect(path: directory.qmpSocket)
    state.withLock { state in
      state.pid = pid
      state.qmp = qmp
      state.portOpened = true
    }
    logger.info("VM taken over", metadata: ["pid": "\(pid)"])
  }

  /// Waits for a turn to boot (``BootAdmission``, unless the caller holds a
  /// `permit` already), starts the VM and waits for its agent, then gives
  /// the turn back. `timeout` counts from the start, not from the wait.
  ///
  /// A guest that has burned `stallCPU` of CPU time without its agent
  /// answering is stuck, not slow, and is started again, once (a restored
  /// VM gets three tries): a normal boot takes about 2 s of CPU under TCG
  /// and a restore well under one, however long the host's load stretches
  /// them in wall time. Counting CPU rather than wall time keeps the restart
  /// a last resort that a slow boot on a busy host never triggers (see
  /// DESIGN, "Boot under load"). The one hang seen, a TSC calibration that
  /// failed under host load, spins the vCPU and is avoided by
  /// `tsc_early_khz` (QEMUCommandLine).
  public func boot(
    timeout: Duration = .seconds(60), permit: BootPermit? = nil, admission: BootAdmission = .shared,
    stallCPU: Duration? = nil
  ) async throws -> AgentConnection {
    let turn: BootPermit
    if let permit {
      turn = permit
    } else {
      let clock = ContinuousClock()
      let queued = clock.now
      turn = try await admission.admit()
      let waited = clock.now - queued
      if waited > .milliseconds(100) {
        logger.info("boot admitted after waiting", metadata: ["waited_ms": "\(waited.milliseconds)"])
      }
    }
    defer { turn.release() }
    let restoring = configuration.restore != nil
    let attempts = restoring ? 3 : 2
    let stallCPU = stallCPU ?? (restoring ? .seconds(10) : .seconds(20))
    let deadline = ContinuousClock.now + timeout
    for attempt in 1...attempts {
      try await start()
      do {
        return try await waitForAgent(until: deadline, stallCPU: stallCPU)
      } catch MachineError.bootStalled(let cpu, _) where attempt < attempts {
        logger.warning(
          "the guest made no progress; starting it again",
          metadata: ["cpu_s": "\(cpu)", "attempt": "\(attempt)", "restoring": "\(restoring)"])
        await kill()
        state.withLock { $0 = State(borrowed: configuration.restoreTakesOver ? configuration.restore : nil) }
      } catch {
        await kill()
        throw error
      }
    }
    throw MachineError.invalidConfiguration("unreachable")
  }

  public func waitForAgent(timeout: Duration = .seconds(60)) async throws -> AgentConnection {
    try await waitForAgent(until: ContinuousClock.now + timeout, stallCPU: nil)
  }

  /// Waits for the agent's port to open (on QMP's event, not a poll), then
  /// for a Health answer. Every second it also checks that QEMU lives, the
  /// deadline, and the CPU the guest has burned (`stallCPU`).
  func waitForAgent(until deadline: ContinuousClock.Instant, stallCPU: Duration?) async throws -> AgentConnection {
    if let agent = state.withLock({ $0.agent }) { return agent }
    let clock = ContinuousClock()
    let started = clock.now
    let seconds = Double((deadline - started).components.seconds)
    func check() throws {
      if !isRunning { throw MachineError.exitedDuringBoot(console: directory.consoleTail()) }
      if let stallCPU, let pid, let used = cpuTime(of: pid), used > stallCPU {
        throw MachineError.bootStalled(
          cpuSeconds: Double(used.components.seconds), console: directory.consoleTail())
      }
      if clock.now >= deadline { throw MachineError.agentTimeout(seconds: seconds, console: directory.consoleTail()) }
      try Task.checkCancellation()
    }
    // Connect only once the guest has opened its end of the port: bytes sent
    // before that wait in QEMU, and a connection that times out meanwhile
    // leaves half a handshake behind for the next one to trip over.
    while !state.withLock({ $0.portOpened }), let qmp, !qmp.guestOpenedPort("agent") {
      try check()
      await qmp.nextEvent(within: .seconds(1))
    }
    try check()
    logger.debug("guest opened the agent port", metadata: ["waited_ms": "\((clock.now - started).milliseconds)"])
    let agent = try state.withLock { state in
      if let agent = state.agent { return agent }
      let agent = try AgentConnection(socketPath: directory.agentSocket)
      state.agent = agent
      return agent
    }
    while true {
      if await agent.answers(within: .seconds(1)) {
        logger.debug("agent answered", metadata: ["waited_ms": "\((clock.now - started).milliseconds)"])
        return agent
      }
      logger.trace("agent not answering yet", metadata: ["waited_ms": "\((clock.now - started).milliseconds)"])
      try check()
    }
  }

  /// Whether the QEMU process is still there.
  public var isRunning: Bool {
    guard let pid = state.withLock({ $0.pid }) else { return false }
    return processIsAlive(pid)
  }

  /// Stopping is clean-up: it runs to the end even when the calling task
  /// is cancelled (a cancelled caller would otherwise skip the shutdown
  /// request and then wait for a guest that never goes).
  public func stop(grace: Duration = .seconds(5)) async {
    await Task { await stopInOrder(grace: grace) }.value
  }

  private func stopInOrder(grace: Duration) async {
    let clock = ContinuousClock()
    let started = clock.now
    defer { logger.debug("VM stopped", metadata: ["took_ms": "\((clock.now - started).milliseconds)"]) }
    let (agent, qmp) = state.withLock { ($0.agent, $0.qmp) }
    if let agent, isRunning {
      var options = CallOptions.defaults
      options.timeout = .seconds(1)
      // A guest reboot ends QEMU (-no-reboot); power-off would not on microvm.
      _ = try? await agent.system.shutdown(.with { $0.reboot = true }, options: options)
    }
    // QMP closes when QEMU exits; a guest that ignores the shutdown costs
    // `grace` and no more.
    if let qmp, await !qmp.waitUntilClosed(within: grace) { try? await qmp.quit() }
    await kill()
  }

  public func kill() async {
    let (agent, qmp, pid) = state.withLock { state in
      defer {
        state.agent = nil
        state.qmp = nil
      }
      return (state.agent, state.qmp, state.pid)
    }
    // QEMU goes first, so that nothing waits on a guest that cannot answer.
    if let pid, processIsAlive(pid), isQEMU(pid, of: directory) {
      Glibc.kill(pid, SIGKILL)
      _ = await ProcessExit.wait(for: pid, within: .seconds(2))
    }
    await agent?.close()
    await qmp?.close()
    if let snapshot = state.withLock({ $0.borrowed }) { returnFiles(to: snapshot) }
    // Before the directory goes: a uid claim whose directory is gone is free.
    VMMConfinement.release(id: id, directory: directory)
    removeFiles()
  }

  func markAgentPortOpen() { state.withLock { $0.portOpened = true } }

  /// Makes the files a VM took over from its snapshot its own (see
  /// ``MachineConfiguration/restoreTakesOver``): call once the resumed guest
  /// is set up for good. Until then a kill gives them back to the snapshot.
  public func keepSnapshotFiles() { state.withLock { $0.borrowed = nil } }

  /// Stops the vCPUs; memory, devices and processes stay as they are.
  public func pause() async throws {
    guard let qmp, isRunning else { throw MachineError.notRunning }
    try await qmp.stop()
  }

  /// Lets the vCPUs run again after ``pause()``.
  public func resume() async throws {
    guard let qmp, isRunning else { throw MachineError.notRunning }
    try await qmp.cont()
  }

  /// Lets go of a running VM without stopping it, for a later Cove
  /// process to take over with ``attach()``.
  public func detach() async {
    let (agent, qmp) = state.withLock { state in
      defer {
        state.agent = nil
        state.qmp = nil
      }
      return (state.agent, state.qmp)
    }
    await agent?.close()
    await qmp?.close()
  }

  private func removeFiles() {
    let first = state.withLock { state in
      defer { state.removed = true }
      return !state.removed
    }
    guard first else { return }
    if configuration.keepConsoleLog {
      let kept = "\(configuration.runDirectory)/\(id).console.log"
      try? FileManager.default.moveItem(atPath: directory.console, toPath: kept)
      logger.info("console log kept", metadata: ["path": "\(kept)"])
    }
    directory.remove()
    // The run directory goes too once its last VM has gone.
    rmdir(configuration.runDirectory)
  }

  private func validateInputs() throws {
    var checks = [
      ("guest kernel", configuration.kernel.vmlinuz), ("initramfs", configuration.initramfs),
      ("root image", configuration.rootImage),
    ]
    if let snapshot = configuration.restore {
      checks.append(("snapshot device state", snapshot.state))
      if snapshot.holdsMemory { checks.append(("snapshot memory", snapshot.memory)) }
      if configuration.restoreTakesOver { checks.append(("snapshot disk", snapshot.disk)) }
      guard snapshot.cpus == configuration.cpus, snapshot.memoryMiB == configuration.memoryMiB else {
        throw MachineError.invalidConfiguration(
          "a VM restored from a snapshot has its size: \(snapshot.cpus) CPUs, \(snapshot.memoryMiB) MiB")
      }
    }
    for (what, path) in checks where !FileManager.default.fileExists(atPath: path) {
      throw MachineError.missingInput(what: what, path: path)
    }
    guard (1...64).contains(configuration.cpus) else {
      throw MachineError.invalidConfiguration("cpus must be 1 to 64, not \(configuration.cpus)")
    }
    guard (MachineConfiguration.minimumMemoryMiB...65536).contains(configuration.memoryMiB) else {
      throw MachineError.invalidConfiguration(
        "memory must be \(MachineConfiguration.minimumMemoryMiB) to 65536 MiB, not \(configuration.memoryMiB)")
    }
    guard directory.qmpSocket.utf8.count < 108 else {
      throw MachineError.invalidConfiguration("the run directory path is too long for Unix sockets: \(directory.path)")
    }
    try validatePorts()
    _ = try HostCommand.locate(configuration.qemuBinary, package: "qemu-system-x86")
  }

  private func validatePorts() throws {
    var seen: Set<String> = ["org.cove.agent"]
    for name in configuration.serialPorts {
      // QEMU's option syntax gives commas and '=' a meaning; keep names plain.
      let plain = name.utf8.allSatisfy {
        (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0)
          || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
      }
      guard plain, !name.isEmpty, seen.insert(name).inserted else {
        throw MachineError.invalidConfiguration("serial port names must be unique, of letters, digits, - _ .: \(name)")
      }
      guard directory.serialSocket(named: name).utf8.count < 108 else {
        throw MachineError.invalidConfiguration("the socket path for serial port \(name) is too long")
      }
    }
    if !configuration.portForwards.isEmpty && !configuration.network {
      throw MachineError.invalidConfiguration("port forwards need the network")
    }
    for forward in configuration.portForwards
    where !(1...65535).contains(forward.hostPort) || !(1...65535).contains(forward.guestPort) {
      throw MachineError.invalidConfiguration("ports are 1 to 65535: \(forward.hostPort) → \(forward.guestPort)")
    }
  }

  /// Removes the VMs of Cove processes that are gone: kills their QEMU and
  /// deletes their directory.
  public static func sweepAbandoned(in runDirectory: String, logger: Logger) {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: runDirectory)) ?? []
    for entry in entries {
      let directory = VMDirectory(path: "\(runDirectory)/\(entry)")
      guard FileManager.default.isDirectory(directory.path) else { continue }
      let owner = (try? String(contentsOfFile: directory.ownerFile, encoding: .utf8)).flatMap {
        pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines))
      }
      guard let owner, !processIsAlive(owner) else { continue }
      if let pid = directory.qemuPID, processIsAlive(pid), isQEMU(pid, of: directory) {
        Glibc.kill(pid, SIGKILL)
      }
      VMMConfinement.release(id: entry, directory: directory)
      directory.remove()
      logger.info("removed an abandoned VM", metadata: ["directory": "\(directory.path)"])
    }
  }
}

extension FileManager {
  fileprivate func isDirectory(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
  }
}

extension Duration {
  /// Whole milliseconds, for logs.
  var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}

/// The CPU time (user and system, all threads) process `pid` has used, from
/// /proc; nil when it cannot be read.
func cpuTime(of pid: pid_t) -> Duration? {
  guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
    let close = stat.lastIndex(of: ")")
  else { return nil }
  // After the command name: state is field 3, utime 14 and stime 15.
  let fields = stat[stat.index(after: close)...].split(separator: " ")
  guard fields.count > 12, let user = Int64(fields[11]), let system = Int64(fields[12]) else { return nil }
  let ticks = Int64(sysconf(Int32(_SC_CLK_TCK)))
  guard ticks > 0 else { return nil }
  return .milliseconds((user + system) * 1000 / ticks)
}
