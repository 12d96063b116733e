import CoveImages
import Foundation

extension QEMUMachine {
  /// Stops the VM and keeps it as a snapshot in `directory` (made here; on
  /// the same file system as the VM's memory or not): the vCPUs stop, the
  /// device state goes to a file (RAM stays in the memory file, which is
  /// kept), QEMU exits, and the disk overlay is kept as the snapshot's disk.
  /// Take it of a quiescent guest (after its agent answered and its
  /// workload said it is ready), never of one still booting.
  public func snapshot(into target: String) async throws -> MachineSnapshot {
    guard let qmp, isRunning else { throw MachineError.notRunning }
    let snapshot = MachineSnapshot(
      directory: target, memoryMiB: configuration.memoryMiB, cpus: configuration.cpus)
    let clock = ContinuousClock()
    let started = clock.now
    try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
    try await qmp.stop()
    try await qmp.execute("migrate-set-capabilities", arguments: Self.ignoreShared)
    try await qmp.execute("migrate", arguments: ["uri": .string("exec:cat > \(Self.shellQuoted(snapshot.state))")])
    try await waitForMigration(qmp: qmp, what: "saving the device state")
    // QEMU is done with the memory file and the overlay once it has exited.
    try? await qmp.quit()
    let pid = self.pid
    for _ in 0..<300 where pid.map(processIsAlive) == true { try await Task.sleep(for: .milliseconds(10)) }
    try moveOrCopy(directory.memory, to: snapshot.memory)
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
    try await qmp.execute("migrate-set-capabilities", arguments: Self.ignoreShared)
    try await qmp.execute(
      "migrate-incoming", arguments: ["uri": .string("exec:cat \(Self.shellQuoted(snapshot.state))")])
    try await waitForMigration(qmp: qmp, what: "loading the device state")
    if try await !qmp.status().running { try await qmp.cont() }
    // The guest opened its agent port before the snapshot; QMP will not say so again.
    markAgentPortOpen()
  }

  /// RAM lives in the memory file, so the migration stream leaves it out.
  static let ignoreShared: [String: JSONValue] = [
    "capabilities": .array([.object(["capability": .string("x-ignore-shared"), "state": .bool(true)])])
  ]

  func waitForMigration(qmp: QMPClient, what: String) async throws {
    for _ in 0..<3000 {
      guard case .object(let info) = try await qmp.execute("query-migrate"),
        case .string(let status)? = info["status"]
      else {
        try await Task.sleep(for: .milliseconds(5))
        continue
      }
      switch status {
      case "completed": return
      case "failed", "cancelled":
        let reason = if case .string(let text)? = info["error-desc"] { text } else { status }
        throw MachineError.qmp("\(what) failed: \(reason)")
      default: try await Task.sleep(for: .milliseconds(5))
      }
    }
    throw MachineError.qmp("\(what) did not finish within 15 s")
  }

  static func shellQuoted(_ path: String) -> String { "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}

/// Renames, or copies and removes when `source` is on another file system
/// (the memory file lives in /dev/shm).
func moveOrCopy(_ source: String, to destination: String) throws {
  try? FileManager.default.removeItem(atPath: destination)
  if rename(source, destination) == 0 { return }
  try FileManager.default.copyItem(atPath: source, toPath: destination)
  try FileManager.default.removeItem(atPath: source)
}
