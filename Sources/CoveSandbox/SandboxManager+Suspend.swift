import CoveMachine
import Foundation

extension SandboxManager {
  /// Where a suspended sandbox's snapshot is kept.
  func suspendDirectory(of id: String) -> String { configuration.suspendDirectory + "/" + id }

  /// Refuses, before anything changes, a snapshot that might not fit in
  /// `directory` (made if need be): its memory file can take up to the
  /// guest's memory, plus the disk overlay and the device state. A snapshot
  /// that ran out of space half-way would lose the sandbox.
  func checkRoom(forMemoryMiB memoryMiB: Int, in directory: String) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var stats = statvfs()
    guard statvfs(directory, &stats) == 0 else { return }
    let free = Int((UInt64(stats.f_bavail) * UInt64(stats.f_frsize)) >> 20)
    let needed = memoryMiB + 256
    guard free >= needed else {
      throw SandboxError.insufficientStorage(needed: needed, free: free, path: directory)
    }
  }

  /// Saves a running or paused sandbox's memory, device state and disk to
  /// disk and ends its VM, which gives back its CPU and memory. Its timeout
  /// stands still until it is resumed, also by a later daemon.
  public func suspend(_ id: String) async throws -> SandboxRecord {
    let record = try await get(id)
    guard record.state == .running || record.state == .paused, let machine = live.withLock({ $0.machines[id] })
    else {
      throw SandboxError.wrongState(
        id: id, state: record.state, operation: "suspending", needs: "a running or paused sandbox")
    }
    try checkRoom(forMemoryMiB: record.memoryMiB, in: configuration.suspendDirectory)
    let hasHooks = await hooks(of: record) != nil
    let hooked = record.state == .running && hasHooks
    if hooked {
      let result = try await Self.invoke(.suspend, agent: guest(id, for: "suspending"))
      guard result.succeeded else {
        throw SandboxError.unavailable(
          "the suspend hook answered \(result.outcome.rawValue) (exit \(result.exitCode)), so sandbox \(id) "
            + "stays running: \(result.message)")
      }
    }
    let previous = record.state
    _ = try await store.modify(id) { try $0.state = $0.state.transition(to: .snapshotting) }
    let clock = ContinuousClock()
    let started = clock.now
    do {
      _ = try await machine.snapshot(into: suspendDirectory(of: id))
    } catch {
      try? FileManager.default.removeItem(atPath: suspendDirectory(of: id))
      if machine.isRunning {
        // Saving failed before QEMU let go: the VM is whole, only stopped,
        // and its workload, told it was being suspended, hears it goes on.
        if previous == .running { try? await machine.resume() }
        _ = try? await store.modify(id) { try $0.state = $0.state.transition(to: previous) }
        if hooked, let agent = try? await machine.guestAgent(timeout: .seconds(5)) {
          _ = try? await Self.invoke(.resume, agent: agent)
        }
        throw SandboxError.unavailable("sandbox \(id) could not be suspended: \(error)")
      }
      await markDead(id, machine: machine)
      throw SandboxError.unavailable("sandbox \(id) was lost while being suspended: \(error)")
    }
    release(id)
    let suspended = try await store.modify(id) { record in
      record.state = try record.state.transition(to: .suspended)
      record.suspendedAt = Date()
    }
    logger.info(
      "sandbox suspended",
      metadata: ["sandbox": "\(id)", "took_ms": "\(Int((clock.now - started) / .milliseconds(1)))"])
    return suspended
  }

  /// Starts a new VM from a suspended sandbox's snapshot; its processes and
  /// open files carry on. A resume that fails leaves the sandbox suspended.
  func resumeSuspended(_ record: SandboxRecord) async throws -> SandboxRecord {
    let id = record.id
    // The move to `queued` is the claim: a second resume finds it taken.
    _ = try await store.modify(id) { try $0.state = $0.state.transition(to: .queued) }
    let permit: BootPermit
    do {
      try admit(id, memoryMiB: record.memoryMiB)
    } catch {
      _ = try? await store.modify(id) { try $0.state = $0.state.transition(to: .suspended) }
      throw error
    }
    do {
      permit = try await waitForTurn(id)
      _ = try await store.modify(id) { try $0.state = $0.state.transition(to: .starting) }
    } catch {
      // A delete while it waited took the row and the snapshot: the resume
      // was cancelled. Otherwise the sandbox stays suspended, as it was.
      release(id)
      let kept = try? await store.modify(id) { try $0.state = $0.state.transition(to: .suspended) }
      if kept == nil || error is CancellationError { throw SandboxError.cancelled(id) }
      throw error
    }
    var logger = self.logger
    logger[metadataKey: "sandbox"] = "\(id)"
    let machine = configuration.makeMachine(resumeConfiguration(of: record), id, logger)
    live.withLock { $0.machines[id] = machine }
    do {
      let agent = try await machine.bootGuest(timeout: configuration.bootTimeout, permit: permit, admission: admission)
      try await Self.makeUnique(agent)
      if await hooks(of: record) != nil {
        let result = try await Self.invoke(.resume, agent: agent)
        if !result.succeeded {
          logger.warning(
            "the resume hook failed", metadata: ["exit": "\(result.exitCode)", "message": "\(result.message)"])
        }
      }
    } catch {
      // A guest that answered has run on since its snapshot: save it again
      // as it stands. One that never answered gives the files back as they
      // were. Either way a later resume can try again.
      var saved = false
      if machine.isRunning { saved = (try? await machine.snapshot(into: suspendDirectory(of: id))) != nil }
      if !saved { await machine.kill() }
      release(id)
      _ = try? await store.modify(id) { try $0.state = $0.state.transition(to: .suspended) }
      throw SandboxError.unavailable("sandbox \(id) could not be resumed and stays suspended: \(error)")
    }
    machine.keepSnapshotFiles()
    try? FileManager.default.removeItem(atPath: suspendDirectory(of: id))
    let runDirectory = configuration.runDirectory
    let resumed = try await store.modify(id) { record in
      record.state = try record.state.transition(to: .running)
      if let suspendedAt = record.suspendedAt {
        record.expiresAt = Date().addingTimeInterval(record.expiresAt.timeIntervalSince(suspendedAt))
      }
      record.suspendedAt = nil
      record.runDirectory = runDirectory
    }
    updateRunningGauge()
    logger.info("sandbox resumed from disk")
    return resumed
  }

  /// A VM that takes a suspended sandbox's snapshot over.
  func resumeConfiguration(of record: SandboxRecord) -> MachineConfiguration {
    var machineConfiguration = MachineConfiguration(
      kernel: record.kernel, initramfs: record.initramfs, rootImage: record.rootImage)
    machineConfiguration.cpus = record.cpus
    machineConfiguration.memoryMiB = record.memoryMiB
    machineConfiguration.runDirectory = configuration.runDirectory
    machineConfiguration.restore = MachineSnapshot(
      directory: suspendDirectory(of: record.id), memoryMiB: record.memoryMiB, cpus: record.cpus)
    machineConfiguration.restoreTakesOver = true
    return machineConfiguration
  }

  /// Settles, after a restart, a resume that the earlier daemon left half
  /// done: its VM goes and the snapshot gets its files back.
  func settleInterruptedResume(_ record: SandboxRecord) async throws -> Bool {
    guard record.state == .queued || record.state == .starting,
      FileManager.default.fileExists(atPath: suspendDirectory(of: record.id) + "/state")
    else { return false }
    let machine = configuration.makeMachine(resumeConfiguration(of: record), record.id, logger)
    try? await machine.attach()
    await machine.kill()
    _ = try await store.modify(record.id) { try $0.state = $0.state.transition(to: .suspended) }
    logger.notice("an interrupted resume undone after a restart", metadata: ["sandbox": "\(record.id)"])
    return true
  }
}
