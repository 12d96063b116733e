import CCoveSystem
import CoveAgent
import Logging

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

// As PID 1, /proc must exist before the Swift runtime starts a thread; the
// allocator is set up before any thread too.
let isInit = getpid() == 1
if isInit { GuestInit.mountProc() }
cove_limit_retained_memory()
cove_catch_termination_signals()

let usage = """
  usage: cove-agent serve --listen unix:PATH [--serial-port DEVICE]
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
var serialPort: SerialPortSessions? = nil
if isInit {
  GuestInit(logger: logger).run()
  socketPath = "/run/cove-agent.sock"
} else {
  switch arguments.first {
  case "version":
    print(SystemService.version)
    exit(0)
  case "serve":
    guard arguments.count == 3 || arguments.count == 5, arguments[1] == "--listen", arguments[2].hasPrefix("unix:")
    else {
      fail("serve needs --listen unix:PATH\n\(usage)")
    }
    socketPath = String(arguments[2].dropFirst("unix:".count))
    guard !socketPath.isEmpty, socketPath.utf8.count < 108 else { fail("the socket path must be 1 to 107 bytes") }
    if arguments.count == 5 {
      // A character device to serve as the guest serves its virtio-serial
      // port (tests use a pseudo-terminal).
      guard arguments[3] == "--serial-port" else { fail(usage) }
      do {
        serialPort = try SerialPortSessions(path: arguments[4], logger: logger)
      } catch {
        fail("\(error)")
      }
    }
    // Orphans of the processes it starts become its children, to be reaped.
    _ = cove_become_subreaper()
  default:
    fail(usage)
  }
}

if isInit { logger.info("init done", metadata: ["uptime": "\(GuestInit.uptime)"]) }
var server = AgentServer(socketPath: socketPath, initMode: isInit, logger: logger)
server.serialPort = serialPort
if isInit {
  // The host reaches the agent through the virtio-serial port, and through
  // vsock where the guest has it. The port is opened here, on the main
  // thread and not in a Task: with one vCPU the concurrency pool has one
  // thread, which the server's start-up holds, and what the host sent
  // before the port was open would be lost.
  var port: String? = nil
  for _ in 0..<500 {
    port = VirtioPorts.device(named: "org.cove.agent")
    if port != nil { break }
    usleep(10_000)
  }
  if let port {
    logger.info("agent port found", metadata: ["port": "\(port)", "uptime": "\(GuestInit.uptime)"])
    do {
      server.serialPort = try SerialPortSessions(path: port, logger: logger)
    } catch {
      logger.error("cannot open the agent port", metadata: ["port": "\(port)", "error": "\(error)"])
    }
  } else {
    logger.error("no virtio-serial port named org.cove.agent")
  }
  server.vsockPort = 1024
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
