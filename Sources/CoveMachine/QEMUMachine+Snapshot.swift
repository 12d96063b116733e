import CoveImages
import Foundation

extension QEMUMachine {
  /// Stops the VM and keeps it as a snapshot in `directory` (made here,
  /// emptied first; on the same file system as the VM's memory or not): the
  /// vCPUs stop, the device state goes to a file, QEMU exits, and the disk
  /// overlay is kept as the snapshot's disk. RAM stays in the VM's memory
  /// file, which is kept; a clone, whose memory is a private mapping of its
  /// template's, writes its RAM into the state file instead.
  /// Take it of a quiescent guest (after its agent answered and its
  /// workload said it is ready), never of one still booting.
  public func snapshot(into target: String) async throws -> MachineSnapshot {
    guard let qmp, isRunning else { throw MachineError.notRunning }
    let snapshot = MachineSnapshot(
      directory: target, memoryMiB: configuration.memoryMiB, cpus: configuration.cpus)
    let clock = ContinuousClock()
    let started = clock.now
    let ownsMemory = FileManager.default.fileExists(atPath: directory.memory)
    try? FileManager.default.removeItem(atPath: target)
    try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
    try await qmp.stop()
    // Set either way: a clone's QEMU still has it on from its own restore.
    try await qmp.execute("migrate-set-capabilities", arguments: Self.ignoreShared(ownsMemory))
    try await QMPMigrationChannel.save(to: snapshot.state, through: directory.migrationSocket)
    try await waitForMigration(qmp: qmp, what: "saving the device state")
    // QEMU is done with the memory file and the overlay once it has exited.
    try? await qmp.quit()
    if let pid { _ = await ProcessExit.wait(for: pid, within: .seconds(3)) }
    if ownsMemory {
      try moveOrCopy(directory.memory, to: snapshot.memory)
    } else {
      try Data().write(to: URL(fileURLWithPath: snapshot.memoryInStateMarker))
    }
    try moveOrCopy(directory.overlay, to: snapshot.disk)
    await kill()
    logger.info(
      "snapshot taken",
      metadata: ["directory": "\(target)", "took_ms": "\((clock.now - started).milliseconds)"])
    return snapshot
  }

  /// Loads a snapshot's device state into the QEMU that `start()` launched
  /// with `-incoming defer`, and lets it run.
  func restore(from snapshot: MachineSnapshot, qmp: QMPClient) async throws {
    try await qmp.execute("migrate-set-capabilities", arguments: Self.ignoreShared(snapshot.holdsMemory))
    try await QMPMigrationChannel.load(from: snapshot.state, through: directory.migrationSocket)
    try await waitForMigration(qmp: qmp, what: "loading the device state")
    if try await !qmp.status().running { try await qmp.cont() }
    // The guest opened its agent port before the snapshot; QMP will not say so again.
    markAgentPortOpen()
  }

  /// x-ignore-shared on when RAM lives in a memory file that is kept, so
  /// the migration stream leaves it out; off when the stream must carry it.
  /// Migration events on, so that the end of a migration is told, not
  /// polled for.
  static func ignoreShared(_ on: Bool) -> [String: JSONValue] {
    [
      "capabilities": .array([
        .object(["capability": .string("x-ignore-shared"), "state": .bool(on)]),
        .object(["capability": .string("events"), "state": .bool(true)]),
      ])
    ]
  }

  /// Waits for the migration to end: asks QEMU its status, and asks again
  /// when QEMU sends an event (a MIGRATION event on every change of status).
  func waitForMigration(qmp: QMPClient, what: String) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + .seconds(15)
    while clock.now < deadline {
      let seen = qmp.events.count
      if case .object(let info) = try await qmp.execute("query-migrate"), case .string(let status)? = info["status"] {
        switch status {
        case "completed": return
        case "failed", "cancelled":
          let reason = if case .string(let text)? = info["error-desc"] { text } else { status }
          throw MachineError.qmp("\(what) failed: \(reason)")
        default: break
        }
      }
      await qmp.nextEvent(after: seen, within: deadline - clock.now)
    }
    throw MachineError.qmp("\(what) did not finish within 15 s")
  }

  /// Moves a snapshot's disk, and its memory file when it has one, into
  /// the VM's directory, for a VM that takes the snapshot over.
  func borrowFiles(of snapshot: MachineSnapshot) throws {
    try moveOrCopy(snapshot.disk, to: directory.overlay)
    if snapshot.holdsMemory { try moveOrCopy(snapshot.memory, to: directory.memory) }
  }

  /// Puts back what ``borrowFiles(of:)`` moved (QEMU must be gone), so a
  /// VM that failed to take a snapshot over leaves it as it was.
  func returnFiles(to snapshot: MachineSnapshot) {
    let manager = FileManager.default
    do {
      if !manager.fileExists(atPath: snapshot.disk), manager.fileExists(atPath: directory.overlay) {
        try moveOrCopy(directory.overlay, to: snapshot.disk)
      }
      if snapshot.holdsMemory, !manager.fileExists(atPath: snapshot.memory),
        manager.fileExists(atPath: directory.memory)
      {
        try moveOrCopy(directory.memory, to: snapshot.memory)
      }
    } catch {
      logger.error(
        "could not return a snapshot's files", metadata: ["snapshot": "\(snapshot.directory)", "error": "\(error)"])
    }
  }
}

/// Renames, or copies and removes when `source` is on another file system
/// (the memory file lives in /dev/shm).
func moveOrCopy(_ source: String, to destination: String) throws {
  try? FileManager.default.removeItem(atPath: destination)
  if rename(source, destination) == 0 { return }
  try copySparsely(source, to: destination)
  try FileManager.default.removeItem(atPath: source)
}

/// Copies a file, leaving holes where it has holes or blocks of zeros:
/// guest memory is mostly never touched or zero, and a full copy would
/// cost the time and the disk (or RAM, in /dev/shm) of all of it.
public func copySparsely(_ source: String, to destination: String) throws {
  let input = open(source, O_RDONLY | O_CLOEXEC)
  guard input >= 0 else { throw MachineError.io("opening \(source)", errno: errno) }
  defer { close(input) }
  let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
  guard output >= 0 else { throw MachineError.io("creating \(destination)", errno: errno) }
  defer { close(output) }
  // Glibc's SEEK_DATA and SEEK_HOLE, which Swift does not import.
  let (seekData, seekHole): (Int32, Int32) = (3, 4)
  let size = lseek(input, 0, SEEK_END)
  let blockSize = 1 << 20
  let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 4096)
  defer { buffer.deallocate() }
  var offset = lseek(input, 0, seekData)
  while offset >= 0, offset < size {
    let holeAt = lseek(input, offset, seekHole)
    let end = holeAt < 0 ? size : holeAt
    while offset < end {
      let count = pread(input, buffer.baseAddress, min(blockSize, Int(end - offset)), offset)
      guard count > 0 else { throw MachineError.io("reading \(source)", errno: errno) }
      let block = UnsafeRawBufferPointer(rebasing: buffer[..<count])
      if block.contains(where: { $0 != 0 }) {
        var written = 0
        while written < count {
          let n = pwrite(output, block.baseAddress! + written, count - written, offset + off_t(written))
          guard n > 0 else { throw MachineError.io("writing \(destination)", errno: errno) }
          written += n
        }
      }
      offset += off_t(count)
    }
    offset = lseek(input, end, seekData)
  }
  guard ftruncate(output, size) == 0 else { throw MachineError.io("sizing \(destination)", errno: errno) }
}
