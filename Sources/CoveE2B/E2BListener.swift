import CoveSandbox
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The E2B listener of `cove serve --e2b-listen`: its own HTTP server
/// beside the daemon's API, over the same sandbox manager. It starts once
/// the manager has taken over the sandboxes a previous run left
/// (``ManagerConfiguration/onRecovered``) and ends with ``stop()``.
public final class E2BListener: Sendable {
  private let options: E2BOptions
  private let logger: Logger
  private let onListening: @Sendable (String) -> Void
  private let onFailure: @Sendable (any Error) -> Void
  private struct Running {
    var task: Task<Void, Never>?
    var group: ServiceGroup?
  }
  private let running = Mutex(Running())

  /// `onFailure` is told when the listener cannot start or stops by itself
  /// (the port is taken, say); `onListening` gets its URL.
  public init(
    options: E2BOptions, logger: Logger, onListening: @escaping @Sendable (String) -> Void = { _ in },
    onFailure: @escaping @Sendable (any Error) -> Void
  ) {
    self.options = options
    self.logger = logger
    self.onListening = onListening
    self.onFailure = onFailure
  }

  /// Serves E2B's APIs over `manager` until ``stop()``.
  public func start(manager: SandboxManager) {
    let options = self.options
    let logger = self.logger
    let onListening = self.onListening
    let onFailure = self.onFailure
    let task = Task { [self] in
      do {
        let service = try E2BService(manager: manager, options: options, logger: logger)
        let app = Application(
          router: service.router(),
          configuration: .init(address: .hostname(options.host, port: options.port), serverName: "cove-e2b"),
          onServerRunning: { channel in
            let port = channel.localAddress?.port ?? options.port
            service.listening.port.store(port, ordering: .relaxed)
            onListening("http://\(options.host):\(port)")
          },
          logger: logger)
        // A group of its own, without signal handlers (the daemon's group
        // has them), so that stop() can end it gracefully.
        let group = ServiceGroup(services: [app, AutoPauseService(service: service)], logger: logger)
        self.running.withLock { $0.group = group }
        try await group.run()
      } catch {
        logger.error("the E2B listener stopped", metadata: ["error": "\(error)"])
        onFailure(error)
      }
    }
    running.withLock { $0.task = task }
  }

  /// Stops taking connections and ends the listener once open requests end.
  public func stop() async {
    let (task, group) = running.withLock { ($0.task, $0.group) }
    // A listener still setting up has no group yet: cancelling ends it.
    if let group { await group.triggerGracefulShutdown() } else { task?.cancel() }
    await task?.value
  }
}
