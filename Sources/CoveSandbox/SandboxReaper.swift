import ServiceLifecycle

/// The reaper as a service of the daemon's service group: every
/// ``ManagerConfiguration/reapInterval`` it stops sandboxes whose deadline
/// passed and marks those whose VM died (``SandboxManager/reap(now:)``),
/// until the group shuts down.
public struct SandboxReaper: Service {
  let manager: SandboxManager

  public init(manager: SandboxManager) { self.manager = manager }

  public func run() async throws {
    // Shutdown ends the wait between passes; a pass under way finishes.
    try? await cancelWhenGracefulShutdown {
      while !Task.isCancelled {
        await manager.reap()
        try await Task.sleep(for: manager.configuration.reapInterval)
      }
    }
  }
}
