import CoveMachine
import Foundation
import Logging

extension SandboxManager {
  // MARK: Reaper

  /// One pass of the reaper (``SandboxReaper`` runs it every
  /// ``ManagerConfiguration/reapInterval``).
  public func reap(now: Date = Date()) async {
    let records = (try? await store.sandboxes(in: [.running, .paused])) ?? []
    for record in records {
      let machine = live.withLock { $0.machines[record.id] }
      if let machine, !machine.isRunning {
        await markDead(record.id, machine: machine)
      } else if record.expiresAt <= now {
        logger.info("sandbox timed out", metadata: ["sandbox": "\(record.id)"])
        do {
          try await stop(record.id, reason: "timed out")
          reaped.increment()
        } catch {
          logger.debug("not reaped", metadata: ["sandbox": "\(record.id)", "error": "\(error)"])
        }
      }
    }
  }

  /// A sandbox whose QEMU is gone: `error`, with the console's last words.
  func markDead(_ id: String, machine: any VirtualMachine) async {
    let tail = machine.consoleTail(limit: 2000)
    let console = tail.isEmpty ? "(no console output)" : tail
    await machine.kill()
    release(id)
    _ = try? await store.modify(id) { record in
      record.state = try record.state.transition(to: .error)
      record.error = "the VM exited unexpectedly; console:\n\(console)"
    }
    logger.warning("sandbox VM died", metadata: ["sandbox": "\(id)"])
  }

  // MARK: Restart

  /// Takes over the VMs an earlier daemon left running, and settles every
  /// other sandbox it left behind: VMs gone, or caught half-started, end as
  /// `stopped` with their files removed; suspended ones stay suspended,
  /// also when caught half-resumed. Call once, before serving.
  public func recover() async throws {
    for record in try await store.sandboxes(in: [.queued, .starting, .running, .paused, .snapshotting, .stopping]) {
      if try await settleInterruptedResume(record) { continue }
      var machineConfiguration = MachineConfiguration(
        kernel: record.kernel, initramfs: record.initramfs, rootImage: record.rootImage)
      machineConfiguration.cpus = record.cpus
      machineConfiguration.memoryMiB = record.memoryMiB
      machineConfiguration.runDirectory = record.runDirectory
      var logger = self.logger
      logger[metadataKey: "sandbox"] = "\(record.id)"
      let machine = configuration.makeMachine(machineConfiguration, record.id, logger)
      if record.state == .running || record.state == .paused, (try? await machine.attach()) != nil {
        live.withLock { live in
          live.machines[record.id] = machine
          live.memory[record.id] = record.memoryMiB
        }
        continue
      }
      await machine.kill()
      try? FileManager.default.removeItem(atPath: suspendDirectory(of: record.id))
      let previous = record.state
      let reason =
        previous == .running || previous == .paused
        ? "its VM exited while the daemon was down" : "the daemon stopped while it was \(previous.rawValue)"
      // Through `stopping`, as a stop would go: every live state may stop.
      _ = try await store.modify(record.id) { record in
        let stopping = record.state == .stopping ? record.state : try record.state.transition(to: .stopping)
        record.state = try stopping.transition(to: .stopped)
        record.error = reason
      }
      logger.notice("sandbox settled after a restart", metadata: ["was": "\(previous.rawValue)"])
    }
    QEMUMachine.sweepAbandoned(in: configuration.runDirectory, logger: logger)
    // A template being made when the daemon died has files but no row.
    let kept = Set(try await store.templates().map { URL(fileURLWithPath: $0.directory).lastPathComponent })
    let directories = (try? FileManager.default.contentsOfDirectory(atPath: configuration.templateDirectory)) ?? []
    for name in directories where !kept.contains(name) {
      try? FileManager.default.removeItem(atPath: configuration.templateDirectory + "/" + name)
      logger.notice("removed an unfinished template", metadata: ["template": "\(name)"])
    }
    // A sandbox suspended meanwhile and then deleted, or caught half-saved.
    let suspended = Set(try await store.sandboxes(in: [.suspended]).map(\.id))
    let saved = (try? FileManager.default.contentsOfDirectory(atPath: configuration.suspendDirectory)) ?? []
    for id in saved where !suspended.contains(id) {
      try? FileManager.default.removeItem(atPath: suspendDirectory(of: id))
      logger.notice("removed an unused suspended snapshot", metadata: ["sandbox": "\(id)"])
    }
    updateRunningGauge()
    configuration.onRecovered?(self)
  }

  /// Ends the manager: stops every sandbox's VM when `stopSandboxes`,
  /// otherwise lets them run for the next daemon to take over.
  public func shutdown(stopSandboxes: Bool) async {
    // Sandboxes still waiting to boot are not started now.
    for wait in live.withLock({ Array($0.queued.values) }) { wait.cancel() }
    let machines = live.withLock { $0.machines }
    await withTaskGroup(of: Void.self) { group in
      for (id, machine) in machines {
        group.addTask {
          if stopSandboxes {
            try? await self.stop(id, reason: "the daemon stopped")
          } else {
            await machine.detach()
          }
        }
      }
    }
  }
}
