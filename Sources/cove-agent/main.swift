import CCoveSystem
import CoveAgent
import Logging

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

// As PID 1, /proc must exist before the Swift runtime starts a thread.
let isInit = getpid() == 1
if isInit { GuestInit.mountProc() }
cove_catch_termination_signals()

let usage = """
  usage: cove-agent serve --listen unix:PATH
         cove-agent version
  As PID 1 (the /init of a Cove guest) it takes no arguments.

  """

LoggingSystem.bootstrap { label in
  var handler = StreamLogHandler.standardError(label: label)
  let level = getenv("COVE_AGENT_LOG").map { String(cString: $0) } ?? "info"
  handler.logLevel = Logger.Level(rawValue: level) ?? .info
  return handler
}
let logger = Logger(label: "cove-agent")

func fail(_ message: String) -> Never {
  let text = "cove-agent: \(message)\n"
  _ = text.withCString { write(2, $0, strlen($0)) }
  exit(2)
}

let arguments = Array(CommandLine.arguments.dropFirst())
let socketPath: String
if isInit {
  GuestInit(logger: logger).run()
  socketPath = "/run/cove-agent.sock"
} else {
  switch arguments.first {
  case "version":
    print(SystemService.version)
    exit(0)
  case "serve":
    guard arguments.count == 3, arguments[1] == "--listen", arguments[2].hasPrefix("unix:") else {
      fail("serve needs --listen unix:PATH\n\(usage)")
    }
    socketPath = String(arguments[2].dropFirst("unix:".count))
    guard !socketPath.isEmpty, socketPath.utf8.count < 108 else { fail("the socket path must be 1 to 107 bytes") }
    // Orphans of the processes it starts become its children, to be reaped.
    _ = cove_become_subreaper()
  default:
    fail(usage)
  }
}

if isInit { logger.info("init done", metadata: ["uptime": "\(GuestInit.uptime)"]) }
let server = AgentServer(socketPath: socketPath, initMode: isInit, logger: logger)
if isInit {
  // The host reaches the agent through the virtio-serial port, and through
  // vsock where the guest has it; both relay to the agent's Unix socket.
  // This runs here, on the main thread, and not in a Task: with one vCPU the
  // concurrency pool has one thread, which the server's start-up holds, and
  // the host would wait that long for the port to open.
  var port: String? = nil
  for _ in 0..<500 {
    port = VirtioPorts.device(named: "org.cove.agent")
    if port != nil { break }
    usleep(10_000)
  }
  if let port {
    logger.info("agent port found", metadata: ["port": "\(port)", "uptime": "\(GuestInit.uptime)"])
    let err = cove_bridge_serial_port(port, socketPath)
    if err != 0 { logger.error("cannot open the agent port", metadata: ["port": "\(port)", "errno": "\(err)"]) }
  } else {
    logger.error("no virtio-serial port named org.cove.agent")
  }
  _ = cove_bridge_vsock(1024, socketPath)
}
do {
  try await server.run()
} catch {
  logger.critical("agent stopped", metadata: ["error": "\(error)"])
  // A reboot ends QEMU (-no-reboot); microvm ignores a power-off.
  if isInit { _ = cove_power_off(1) }
  exit(1)
}
if isInit { _ = cove_power_off(1) }
