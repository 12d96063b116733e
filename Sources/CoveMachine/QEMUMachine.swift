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
  }
  private let state = Mutex(State())

  public init(configuration: MachineConfiguration, id: String? = nil, logger: Logger = Logger(label: "cove.vm")) {
    let id = id ?? String(UUID().uuidString.lowercased().prefix(8))
    self.id = id
    self.configuration = configuration
    self.directory = VMDirectory(path: "\(configuration.runDirectory)/\(id)")
    var logger = logger
    logger[metadataKey: "vm"] = "\(id)"
    self.logger = logger
  }

  public var pid: pid_t? { state.withLock { $0.pid } }
  public var qmp: QMPClient? { state.withLock { $0.qmp } }

  public func start() async throws {
    try validateInputs()
    Self.sweepAbandoned(in: configuration.runDirectory, logger: logger)
    let manager = FileManager.default
    try manager.createDirectory(
      atPath: directory.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    do {
      try String(getpid()).write(toFile: directory.ownerFile, atomically: false, encoding: .utf8)
      try await HostCommand.run(
        "qemu-img",
        ["create", "-q", "-f", "qcow2", "-F", "raw", "-b", configuration.rootImage, directory.overlay],
        package: "qemu-utils")
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
      logger.info("VM started", metadata: ["pid": "\(pid)", "accelerator": "\(configuration.accelerator)"])
    } catch {
      await kill()
      throw error
    }
  }

  public func waitForAgent(timeout: Duration = .seconds(60)) async throws -> AgentConnection {
    let agent = try state.withLock { state in
      if let agent = state.agent { return agent }
      let agent = try AgentConnection(socketPath: directory.agentSocket)
      state.agent = agent
      return agent
    }
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
      if await agent.answers(within: .milliseconds(500)) { return agent }
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

  public func stop(grace: Duration = .seconds(5)) async {
    let (agent, qmp) = state.withLock { ($0.agent, $0.qmp) }
    if let agent, isRunning {
      var options = CallOptions.defaults
      options.timeout = .seconds(1)
      // A guest reboot ends QEMU (-no-reboot); power-off would not on microvm.
      _ = try? await agent.system.shutdown(.with { $0.reboot = true }, options: options)
    }
    if let qmp {
      let exited = await withTaskGroup(of: Bool.self) { group in
        group.addTask {
          await qmp.waitUntilClosed()
          return true
        }
        group.addTask {
          try? await Task.sleep(for: grace)
          return false
        }
        let first = await group.next() ?? false
        group.cancelAll()
        return first
      }
      if !exited { try? await qmp.quit() }
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
    await agent?.close()
    if let pid, processIsAlive(pid), isQEMU(pid, of: directory) {
      Glibc.kill(pid, SIGKILL)
      for _ in 0..<200 where processIsAlive(pid) { try? await Task.sleep(for: .milliseconds(10)) }
    }
    await qmp?.close()
    removeFiles()
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
    try? FileManager.default.removeItem(atPath: directory.path)
    // The run directory goes too once its last VM has gone.
    rmdir(configuration.runDirectory)
  }

  private func validateInputs() throws {
    let checks = [
      ("guest kernel", configuration.kernel.vmlinuz), ("initramfs", configuration.initramfs),
      ("root image", configuration.rootImage),
    ]
    for (what, path) in checks where !FileManager.default.fileExists(atPath: path) {
      throw MachineError.missingInput(what: what, path: path)
    }
    guard (1...64).contains(configuration.cpus) else {
      throw MachineError.invalidConfiguration("cpus must be 1 to 64, not \(configuration.cpus)")
    }
    guard (64...65536).contains(configuration.memoryMiB) else {
      throw MachineError.invalidConfiguration("memory must be 64 to 65536 MiB, not \(configuration.memoryMiB)")
    }
    guard directory.qmpSocket.utf8.count < 108 else {
      throw MachineError.invalidConfiguration("the run directory path is too long for Unix sockets: \(directory.path)")
    }
    _ = try HostCommand.locate(configuration.qemuBinary, package: "qemu-system-x86")
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
      try? FileManager.default.removeItem(atPath: directory.path)
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
