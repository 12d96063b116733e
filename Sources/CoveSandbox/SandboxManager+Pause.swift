import CoveMachine
import Foundation

extension SandboxManager {
  /// Stops a running sandbox's vCPUs in place; memory and processes stay.
  public func pause(_ id: String) async throws -> SandboxRecord {
    let machine = try await machine(id, for: "pausing")
    let paused = try await store.modify(id) { try $0.state = $0.state.transition(to: .paused) }
    do {
      try await machine.pause()
    } catch {
      _ = try? await store.modify(id) { try $0.state = $0.state.transition(to: .running) }
      throw SandboxError.unavailable("sandbox \(id) could not be paused: \(error)")
    }
    logger.info("sandbox paused", metadata: ["sandbox": "\(id)"])
    return paused
  }

  /// Lets a paused sandbox run again, and sets its clock, which stood
  /// still; brings a suspended one back from disk.
  public func resume(_ id: String) async throws -> SandboxRecord {
    let record = try await get(id)
    if record.state == .suspended { return try await resumeSuspended(record) }
    guard record.state == .paused, let machine = live.withLock({ $0.machines[id] }) else {
      throw SandboxError.wrongState(
        id: id, state: record.state, operation: "resuming", needs: "a paused or suspended sandbox")
    }
    try await machine.resume()
    let resumed = try await store.modify(id) { try $0.state = $0.state.transition(to: .running) }
    try await guest(id, for: "resuming").setClock(to: Date())
    logger.info("sandbox resumed", metadata: ["sandbox": "\(id)"])
    return resumed
  }
}
