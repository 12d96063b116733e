import CoveMachine
import CoveSandbox
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// How `cove serve` runs.
public struct ServerOptions: Sendable {
  public var host = "127.0.0.1"
  public var port = 8080
  /// The database lives here.
  public var dataDirectory: String
  public var manager: ManagerConfiguration
  /// Leave sandboxes running at exit, for the next daemon to take over.
  public var keepSandboxes = false
  /// How long requests may take to finish after SIGTERM before they are
  /// cancelled. Streams and WebSockets do not wait for it: they are told
  /// and ended at once.
  public var shutdownGrace: Duration = .seconds(5)

  public init(dataDirectory: String) {
    self.dataDirectory = dataDirectory
    manager = ManagerConfiguration(
      runDirectory: ManagerConfiguration.runDirectory(forData: dataDirectory),
      templateDirectory: dataDirectory + "/templates")
  }
}

/// The daemon: opens the store, takes over the sandboxes a previous run
/// left, serves the API until SIGINT or SIGTERM, then stops its sandboxes.
public enum CoveServer {
  public static func databasePath(data: String) -> String { data + "/cove.sqlite" }

  public static func run(
    options: ServerOptions, assets: GuestAssets, registry: PrometheusCollectorRegistry?, logger: Logger,
    onListening: @escaping @Sendable (String) -> Void = { _ in }
  ) async throws {
    // A daemon that cannot boot anything refuses to start, rather than
    // answering every create with an error that is not the client's.
    let assets = try assets.resolvingAgent()
    try FileManager.default.createDirectory(
      atPath: options.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    let store = try SandboxStore(path: databasePath(data: options.dataDirectory))
    let manager = SandboxManager(store: store, assets: assets, configuration: options.manager, logger: logger)
    try await manager.recover()
    let api = CoveAPI(manager: manager, registry: registry)
    let app = Application(
      router: api.router(),
      server: api.server(),
      configuration: .init(address: .hostname(options.host, port: options.port), serverName: "cove"),
      onServerRunning: { channel in
        let port = channel.localAddress?.port ?? options.port
        onListening("http://\(options.host):\(port)")
      },
      logger: logger)
    // SIGTERM starts a graceful shutdown: no new connections, open streams
    // and WebSockets told and ended, other requests given `shutdownGrace`
    // to finish, then cancelled. Only then are the sandboxes stopped.
    var configuration = ServiceGroupConfiguration(
      services: [.init(service: app), .init(service: SandboxReaper(manager: manager))],
      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    configuration.maximumGracefulShutdownDuration = options.shutdownGrace
    configuration.maximumCancellationDuration = .seconds(5)
    do {
      try await ServiceGroup(configuration: configuration).run()
    } catch {
      await manager.shutdown(stopSandboxes: !options.keepSandboxes)
      throw error
    }
    logger.info("stopping", metadata: ["keep_sandboxes": "\(options.keepSandboxes)"])
    await manager.shutdown(stopSandboxes: !options.keepSandboxes)
  }
}
