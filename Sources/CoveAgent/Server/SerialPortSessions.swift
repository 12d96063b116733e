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
/// open a session: a pipe channel on a copy of the port's descriptor, handed
/// to the gRPC server's listener with those bytes to read first. The port's
/// end of file (the host hung up) closes the session, and the thread waits
/// for the next one.
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
    let port = open(path, O_RDWR | O_CLOEXEC)
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
    let copy = fcntl(port, F_DUPFD_CLOEXEC, 0)
    guard copy >= 0 else {
      logger.error("cannot copy the port's descriptor", metadata: ["errno": "\(errno)"])
      usleep(20_000)
      return first
    }
    let next = NextSession()
    // The initializer never fails: a pipe bootstrap that fails after taking
    // the descriptor closes it twice.
    let started = NIOPipeBootstrap(group: listener.eventLoop)
      .channelInitializer { channel in
        let boundary = SessionBoundary(first: first, next: next)
        let ready =
          (try? channel.pipeline.syncOperations.addHandler(boundary)) != nil
          && AgentListener.adopt(channel, into: listener)
        if !ready { channel.eventLoop.execute { channel.close(promise: nil) } }
        return channel.eventLoop.makeSucceededVoidFuture()
      }
      .takingOwnershipOfDescriptor(inputOutput: copy)
    do {
      let channel = try started.wait()
      logger.debug("host session started", metadata: ["port": "\(path)"])
      try? channel.closeFuture.wait()
      logger.debug("host session ended", metadata: ["port": "\(path)"])
    } catch {
      close(copy)
      logger.warning("cannot serve a host session", metadata: ["port": "\(path)", "error": "\(error)"])
      usleep(20_000)
    }
    return next.bytes.withLock { $0 }
  }
}

/// The bytes that ended a session by opening the next.
private final class NextSession: Sendable {
  let bytes = Mutex<[UInt8]>([])
}

/// First in a session's pipeline: reads it the bytes that opened it, and
/// ends it when the next session's preface arrives.
private final class SessionBoundary: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer
  typealias InboundOut = ByteBuffer

  private var first: [UInt8]?
  private let next: NextSession

  init(first: [UInt8], next: NextSession) {
    self.first = first
    self.next = next
  }

  func channelActive(context: ChannelHandlerContext) {
    context.fireChannelActive()
    guard let first else { return }
    self.first = nil
    context.fireChannelRead(wrapInboundOut(context.channel.allocator.buffer(bytes: first)))
    context.fireChannelReadComplete()
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let buffer = unwrapInboundIn(data)
    if SerialPortSessions.beginsSession(buffer.readableBytesView) {
      next.bytes.withLock { $0 = Array(buffer.readableBytesView) }
      context.close(promise: nil)
      return
    }
    context.fireChannelRead(data)
  }
}
