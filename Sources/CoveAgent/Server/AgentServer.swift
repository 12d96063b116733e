import CCoveSystem
import CoveAgentProto
import GRPCCore
import GRPCNIOTransportHTTP2TransportServices
import Logging
import NIOPosix

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Puts the agent together: one event loop thread, the supervisor and the
/// services behind one gRPC server on a Unix socket, and on the serial port
/// and vsock when it has them (and the lifecycle hooks' HTTP listener, when
/// one is configured, on the same event loop).
public struct AgentServer {
  public var socketPath: String
  public var serialPort: SerialPortSessions?
  public var vsockPort: UInt32?
  public var initMode: Bool
  public var limits = AgentLimits()
  public var logger: Logger

  public init(socketPath: String, initMode: Bool, logger: Logger) {
    self.socketPath = socketPath
    self.initMode = initMode
    self.logger = logger
  }

  /// Serves until a Shutdown call or a termination signal.
  public func run() async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    var environment: [String: String] = [:]
    if initMode {
      environment = ["HOME": "/root", "TERM": "linux", "LANG": "C.UTF-8"]
    } else {
      var entry = environ
      while let pointer = entry.pointee {
        let text = String(cString: pointer)
        if let eq = text.firstIndex(of: "=") {
          environment[String(text[..<eq])] = String(text[text.index(after: eq)...])
        }
        entry += 1
      }
    }
    let supervisor = ProcessSupervisor(limits: limits, group: group, environment: environment, logger: logger)
    let limits = self.limits
    var config = HTTP2ServerTransport.Custom<AgentListener>.Config.defaults
    config.rpc.maxRequestPayloadSize = limits.maxMessageBytes
    config.http2.maxConcurrentStreams = limits.maxConcurrentStreams
    // gRPC's own check of the size resets the stream; the guard answers first, with a status.
    let maxMessageBytes = limits.maxMessageBytes
    config.channelDebuggingCallbacks.onAcceptHTTP2Stream = { stream in
      stream.eventLoop.makeCompletedFuture {
        try stream.pipeline.syncOperations.addHandler(MessageSizeGuard(limit: maxMessageBytes), position: .first)
      }
    }
    var endpoints: [AgentEndpoint] = [.unix(socketPath)]
    if let serialPort { endpoints.append(.serialPort(serialPort)) }
    if let vsockPort { endpoints.append(.vsock(vsockPort)) }
    let transport = HTTP2ServerTransport.Custom(
      listenerFactory: AgentListener(loop: group.next(), endpoints: endpoints, logger: logger), config: config)
    let initMode = self.initMode
    let logger = self.logger
    let stopper = ServerStopper()
    let system = SystemService(supervisor: supervisor, initMode: initMode) { reboot in
      logger.info("shutdown requested", metadata: ["reboot": "\(reboot)"])
      supervisor.killAll()
      if initMode {
        _ = cove_power_off(reboot ? 1 : 0)
      } else {
        stopper.stop()
      }
    }
    let lifecycle = Lifecycle(supervisor: supervisor, logger: logger)
    let hookListener = HookHTTPListener(lifecycle: lifecycle, group: group, logger: logger)
    let services = ServiceManager(
      supervisor: supervisor,
      logDirectory: environment["COVE_AGENT_SERVICE_LOG_DIR"] ?? ServiceManager.defaultLogDirectory, logger: logger)
    let server = GRPCServer(
      transport: transport,
      services: [
        ProcessService(supervisor: supervisor),
        FileService(limits: limits, group: group),
        system,
        LifecycleService(lifecycle: lifecycle, listener: hookListener),
        ServicesService(manager: services),
      ]
    )
    stopper.set(server)
    startSignalThread(supervisor: supervisor, stopper: stopper)
    logger.info(
      "serving",
      metadata: [
        "socket": "\(socketPath)", "port": "\(serialPort?.path ?? "-")", "init": "\(initMode)",
        "uptime": "\(initMode ? GuestInit.uptime : "-")",
      ])
    let grace = limits.shutdownGraceSeconds
    // The server's tasks (each call's handler among them) run on the event
    // loop that does their I/O, not on Swift's global pool.
    try await withTaskExecutorPreference(supervisor.executor) {
      try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await server.serve() }
        tasks.addTask {
          // A graceful shutdown waits for every connection to close, and an
          // idle client may keep its connection open for ever: past the
          // grace period, cancelling `serve` closes what is left.
          await stopper.waitUntilStopped()
          try? await Task.sleep(for: .seconds(grace))
        }
        defer {
          stopper.stop()  // the waiter ends when `serve` ended first
          tasks.cancelAll()
        }
        try await tasks.next()
      }
    }
    supervisor.killAll()
    try? await hookListener.listen(on: 0)
    unlink(socketPath)
    try? await group.shutdownGracefully()
  }

  /// A thread that waits for SIGTERM, SIGINT or SIGHUP (caught by the
  /// signal handler of `main`) and stops the server, killing what it started.
  private func startSignalThread(supervisor: ProcessSupervisor, stopper: ServerStopper) {
    let context = Unmanaged.passRetained(
      SignalContext(supervisor: supervisor, stopper: stopper, socketPath: socketPath))
    var thread = pthread_t()
    pthread_create(
      &thread, nil,
      { raw in
        let context = Unmanaged<SignalContext>.fromOpaque(raw!).takeRetainedValue()
        _ = cove_wait_termination_signal()
        context.supervisor.killAll()
        context.stopper.stop()
        // Graceful shutdown waits for open calls; a signal bounds that wait.
        sleep(3)
        context.supervisor.killAll()
        unlink(context.socketPath)
        _exit(0)
      }, context.toOpaque())
    pthread_detach(thread)
  }
}

private final class SignalContext: Sendable {
  let supervisor: ProcessSupervisor
  let stopper: ServerStopper
  let socketPath: String
  init(supervisor: ProcessSupervisor, stopper: ServerStopper, socketPath: String) {
    self.supervisor = supervisor
    self.stopper = stopper
    self.socketPath = socketPath
  }
}
