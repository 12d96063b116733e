import Dispatch
import Logging
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The agent's end of its virtio-serial port, served one host session at a
/// time.
///
/// A port is not a socket: nothing is accepted, and the host's coming and
/// going shows only in the data. While no host is connected a read ends at
/// once, so a thread of its own polls every 20 ms. The host's first bytes
/// open a session. The port's end of file (the host hung up) closes the
/// session, and the thread waits for the next one.
///
/// NIO never reads the port itself. The port reports a hang-up (POLLHUP)
/// that a read may no longer confirm: a guest restored from a snapshot sees
/// the old host go and the new one come at once, and the read then finds
/// the new host connected with nothing sent yet. NIO takes a hang-up that
/// reads nothing as impossible and traps (`readEOF0`'s precondition), which
/// as PID 1 panics the guest's kernel; it did, in a clone restored under
/// load. So each session's bytes go through a socket pair: the port's
/// thread copies the host's bytes in, a second thread copies the agent's
/// out, and the gRPC server's listener is handed the other end, a plain
/// socket whose end of file means what NIO expects.
///
/// A session also ends when a read begins with the HTTP/2 client preface. A
/// guest restored from a snapshot taken while the host was connected may
/// never read the end of file: on a busy host the old host's close and the
/// new host's open both reach the guest before the agent runs. The new
/// client's handshake would otherwise go into the old, dead connection, and
/// the agent would never answer.
public final class SerialPortSessions: Sendable {
  public let path: String
  private let port: Int32
  private let state = Mutex(State())
  private let attached = DispatchSemaphore(value: 0)
  private let logger: Logger

  private struct State {
    var listener: (any Channel)?
    var detached = false
  }

  /// Opens the port and starts waiting for the host at once, so that what
  /// the host sends while the server starts is read, not lost.
  public init(path: String, logger: Logger) throws(AgentListenerError) {
    // Non-blocking: a write while no host is connected would otherwise wait
    // for the next host and hand it the bytes of a session that is over.
    let port = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK)
    guard port >= 0 else { throw AgentListenerError("cannot open \(path): errno \(errno)") }
    var st = stat()
    guard fstat(port, &st) == 0, (st.st_mode & S_IFMT) == S_IFCHR else {
      close(port)
      throw AgentListenerError("\(path) is not a character device")
    }
    self.path = path
    self.port = port
    self.logger = logger
    let context = Unmanaged.passRetained(self)
    var thread = pthread_t()
    let started = pthread_create(
      &thread, nil,
      { raw in
        Unmanaged<SerialPortSessions>.fromOpaque(raw!).takeRetainedValue().serve()
        return nil
      }, context.toOpaque())
    guard started == 0 else {
      context.release()
      close(port)
      throw AgentListenerError("cannot start the thread for \(path): \(started)")
    }
    pthread_detach(thread)
  }

  /// Whether `bytes` open a new HTTP/2 connection: the client's preface,
  /// which no frame of an open connection begins with.
  static func beginsSession(_ bytes: some Collection<UInt8>) -> Bool {
    bytes.starts(with: preface)
  }

  static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

  func attach(to listener: any Channel) {
    state.withLock { $0.listener = listener }
    attached.signal()
  }

  /// The server stopped: no new sessions; the thread ends and closes the port.
  func detach() {
    state.withLock {
      $0.listener = nil
      $0.detached = true
    }
    attached.signal()
  }

  private var isDetached: Bool { state.withLock { $0.detached } }

  private func serve() {
    var buffer = [UInt8](repeating: 0, count: 65536)
    var carried: [UInt8] = []
    while !isDetached {
      var first = carried
      carried = []
      if first.isEmpty {
        var request = pollfd(fd: port, events: Int16(POLLIN), revents: 0)
        guard poll(&request, 1, 200) > 0 else { continue }
        let count = read(port, &buffer, buffer.count)
        if count <= 0 {
          // No host (end of file at once), or a wake-up with nothing to read.
          usleep(20_000)
          continue
        }
        first = Array(buffer.prefix(count))
      }
      guard let listener = waitForListener() else { break }
      carried = runSession(opening: first, on: listener)
    }
    close(port)
  }

  private func waitForListener() -> (any Channel)? {
    while true {
      let (listener, detached) = state.withLock { ($0.listener, $0.detached) }
      if detached { return nil }
      if let listener { return listener }
      attached.wait()
    }
  }

  /// Serves one session; the bytes that opened the next one, if a session
  /// ended that way.
  private func runSession(opening first: [UInt8], on listener: any Channel) -> [UInt8] {
    var ends: [Int32] = [-1, -1]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
      logger.error("cannot make a socket pair for a host session", metadata: ["errno": "\(errno)"])
      usleep(20_000)
      return first
    }
    let (pumped, served) = (ends[0], ends[1])
    defer { close(pumped) }
    // The initializer never fails: a pipe bootstrap that fails after taking
    // the descriptor closes it twice.
    let started = NIOPipeBootstrap(group: listener.eventLoop)
      .channelInitializer { channel in
        if !AgentListener.adopt(channel, into: listener) {
          channel.eventLoop.execute { channel.close(promise: nil) }
        }
        return channel.eventLoop.makeSucceededVoidFuture()
      }
      .takingOwnershipOfDescriptor(inputOutput: served)
    let channel: any Channel
    do {
      channel = try started.wait()
    } catch {
      close(served)
      logger.warning("cannot serve a host session", metadata: ["port": "\(path)", "error": "\(error)"])
      usleep(20_000)
      return first
    }
    logger.debug("host session started", metadata: ["port": "\(path)"])
    let agentDone = SessionFlag()
    let over = SessionFlag()
    let outbound = PortThread.start { [port] in
      Self.copyOut(from: pumped, to: port, until: over)
      agentDone.raise()
    }
    var next: [UInt8] = []
    if outbound == nil {
      logger.error("cannot start the thread for a host session", metadata: ["port": "\(path)"])
      next = first
    } else if Self.deliver(first, to: pumped) {
      next = copyIn(to: pumped) { agentDone.isRaised || self.isDetached }
    }
    // The agent's side reads its end of file and closes the connection; the
    // outbound thread drops what the port has not taken and ends.
    over.raise()
    shutdown(pumped, Int32(SHUT_RDWR))
    outbound?.join()
    try? channel.closeFuture.wait()
    logger.debug("host session ended", metadata: ["port": "\(path)"])
    return next
  }

  /// The host's bytes into the session until the host hangs up, the agent
  /// closes its side (`ended`), or a read opens the next session, whose
  /// bytes it returns.
  private func copyIn(to pumped: Int32, ended: () -> Bool) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: 65536)
    while !ended() {
      var request = pollfd(fd: port, events: Int16(POLLIN), revents: 0)
      guard poll(&request, 1, 200) > 0 else { continue }
      let count = read(port, &buffer, buffer.count)
      if count == 0 { return [] }  // the host hung up
      if count < 0 {
        if errno == EINTR || errno == EAGAIN { continue }
        logger.warning("cannot read the port", metadata: ["port": "\(path)", "errno": "\(errno)"])
        return []
      }
      let bytes = buffer.prefix(count)
      if Self.beginsSession(bytes) { return Array(bytes) }
      guard Self.deliver(bytes, to: pumped) else { return [] }
    }
    return []
  }

  /// The agent's bytes to the host until the agent closes its side, the
  /// port fails, or the session is `over`: the port takes nothing while no
  /// host is connected, and what a session that ended had left unsent must
  /// not reach the next host.
  private static func copyOut(from pumped: Int32, to port: Int32, until over: SessionFlag) {
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = read(pumped, &buffer, buffer.count)
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { return }
      var sent = 0
      while sent < count {
        let written = buffer.withUnsafeBytes { write(port, $0.baseAddress! + sent, count - sent) }
        if written > 0 {
          sent += written
          continue
        }
        if written < 0 && errno == EINTR { continue }
        guard written < 0 && errno == EAGAIN, !over.isRaised else { return }
        var request = pollfd(fd: port, events: Int16(POLLOUT), revents: 0)
        _ = poll(&request, 1, 200)
      }
    }
  }

  /// Writes all of `bytes` to the session's socket; false once the agent
  /// closed its side (no SIGPIPE: MSG_NOSIGNAL).
  private static func deliver(_ bytes: some Collection<UInt8>, to pumped: Int32) -> Bool {
    let bytes = Array(bytes)
    var sent = 0
    while sent < bytes.count {
      let written = bytes.withUnsafeBytes {
        send(pumped, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
      }
      if written < 0 && errno == EINTR { continue }
      guard written > 0 else { return false }
      sent += written
    }
    return true
  }
}

/// Set once by one thread, read by another.
private final class SessionFlag: Sendable {
  private let raised = Atomic(false)
  func raise() { raised.store(true, ordering: .releasing) }
  var isRaised: Bool { raised.load(ordering: .acquiring) }
}

/// A joinable thread for a blocking copy (the agent has no Foundation).
private final class PortThread: @unchecked Sendable {
  private var thread = pthread_t()
  private let body: () -> Void

  private init(_ body: @escaping () -> Void) { self.body = body }

  /// Starts `body` on a thread of its own; nil when the system refused.
  static func start(_ body: @escaping () -> Void) -> PortThread? {
    let box = PortThread(body)
    let context = Unmanaged.passRetained(box)
    let started = pthread_create(
      &box.thread, nil,
      { raw in
        let box = Unmanaged<PortThread>.fromOpaque(raw!).takeRetainedValue()
        box.body()
        return nil
      }, context.toOpaque())
    guard started == 0 else {
      context.release()
      return nil
    }
    return box
  }

  func join() { pthread_join(thread, nil) }
}
