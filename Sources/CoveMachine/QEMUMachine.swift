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
      let arguments = QEMUCommandLine(configuration: configuration, directory: directory).arguments
      logger.debug("starting QEMU", metadata: ["arguments": "\(arguments.joined(separator: " "))"])
      do {
        try await HostCommand.run(configuration.qemuBinary, arguments, package: "qemu-system-x86")
      } catch let ImageError.commandFailed(_, _, output) {
        throw MachineError.qemuFailed(output.trimmingCharacters(in: .whitespacesAndNewlines))
      }
      guard let pid = directory.qemuPID else { throw MachineError.qemuFailed("no pid file") }
      state.withLock { $0.pid = pid }
      let qmp = try await QMPClient.connect(path: directory.qmpSocket)
      state.withLock { $0.qmp = qmp }
      if let snapshot = configuration.restore { try await restore(from: snapshot, qmp: qmp) }
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

  /// Starts the VM and waits for its agent. A guest that has not opened its
  /// agent port after `stallLimit` is restarted, once, as a safety net for
  /// early-boot hangs (the one seen, a TSC calibration that failed under
  /// host load, is avoided by `tsc_early_khz`; see QEMUCommandLine).
  ///
  /// A VM restored from a snapshot gets up to three tries of 10 s each:
  /// under TCG with a loaded host, a restore of a guest that had a timer
  /// armed (a shell loop with `sleep 1`) sometimes comes back with its
  /// timers stopped and never answers (2 clones in 3 answered in 0.6 s, the
  /// third never, with two CPU hogs running). A new restore of the same
  /// snapshot runs. The cause is not found yet; this is the safety net.
  public func boot(timeout: Duration = .seconds(60), stallLimit: Duration = .seconds(15)) async throws
    -> AgentConnection
  {
    let restoring = configuration.restore != nil
    let attempts = restoring ? 3 : 2
    for attempt in 1...attempts {
      try await start()
      do {
        return try await waitForAgent(
          timeout: restoring ? min(timeout, .seconds(10)) : timeout, stallLimit: stallLimit)
      } catch MachineError.agentTimeout where restoring && attempt < attempts {
        logger.warning("a restored guest did not answer; restoring it again", metadata: ["attempt": "\(attempt)"])
        await kill()
        state.withLock { $0 = State(borrowed: configuration.restoreTakesOver ? configuration.restore : nil) }
      } catch MachineError.bootStalled(let seconds, _) where attempt == 1 {
        logger.warning("the guest stalled early in boot; restarting it", metadata: ["after_s": "\(seconds)"])
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
    try await waitForAgent(timeout: timeout, stallLimit: timeout)
  }

  func waitForAgent(timeout: Duration, stallLimit: Duration) async throws -> AgentConnection {
    if let agent = state.withLock({ $0.agent }) { return agent }
    let clock = ContinuousClock()
    let started = clock.now
    let deadline = started + timeout
    // Connect only once the guest has opened its end of the port: bytes sent
    // before that wait in QEMU, and a connection that times out meanwhile
    // leaves half a handshake behind for the next one to trip over.
    while !state.withLock({ $0.portOpened }), qmp?.guestOpenedPort("agent") == false {
      if !isRunning { throw MachineError.exitedDuringBoot(console: directory.consoleTail()) }
      if clock.now - started > stallLimit {
        throw MachineError.bootStalled(seconds: Double(stallLimit.components.seconds), console: directory.consoleTail())
      }
      try await Task.sleep(for: .milliseconds(10))
    }
    logger.debug("guest opened the agent port", metadata: ["waited_ms": "\((clock.now - started).milliseconds)"])
    let agent = try state.withLock { state in
      if let agent = state.agent { return agent }
      let agent = try AgentConnection(socketPath: directory.agentSocket)
      state.agent = agent
      return agent
    }
    while clock.now < deadline {
      if await agent.answers(within: .seconds(1)) {
        logger.debug("agent answered", metadata: ["waited_ms": "\((clock.now - started).milliseconds)"])
        return agent
      }
      logger.trace("agent not answering yet", metadata: ["waited_ms": "\((clock.now - started).milliseconds)"])
      if !isRunning { throw MachineError.exitedDuringBoot(console: directory.consoleTail()) }
      try Task.checkCancellation()
    }
    throw MachineError.agentTimeout(
      seconds: Double(timeout.components.seconds), console: directory.consoleTail())
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
    if let qmp {
      // QMP closes when QEMU exits. Polled, so that a guest that ignores the
      // shutdown costs `grace` and no more.
      let deadline = clock.now + grace
      while !qmp.isClosed && clock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
      if !qmp.isClosed { try? await qmp.quit() }
    }
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
      for _ in 0..<200 where processIsAlive(pid) { try? await Task.sleep(for: .milliseconds(10)) }
    }
    await agent?.close()
    await qmp?.close()
    if let snapshot = state.withLock({ $0.borrowed }) { returnFiles(to: snapshot) }
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
