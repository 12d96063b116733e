import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A client of QEMU's machine protocol (QMP): JSON objects, one per line,
/// over a Unix socket. Commands carry an id and are matched with their
/// replies; events are counted out and otherwise ignored for now.
public final class QMPClient: Sendable {
  /// What QEMU reports about the guest's run state (`query-status`).
  public struct Status: Decodable, Sendable, Equatable {
    public var running: Bool
    public var status: String
  }

  struct Reply: Decodable {
    struct Failure: Decodable {
      var `class`: String
      var desc: String
    }
    var id: Int?
    var `return`: JSONValue?
    var error: Failure?
    var event: String?
    var data: JSONValue?
  }

  /// An asynchronous event QEMU reported, such as VSERPORT_CHANGE.
  public struct Event: Sendable {
    public var name: String
    public var data: JSONValue?
  }

  private struct State {
    var nextID = 1
    var pending: [Int: CheckedContinuation<JSONValue, any Error>] = [:]
    var closed = false
    var events: [Event] = []
    /// Tasks waiting for the next event (or the close), by ticket.
    var eventWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
    var nextWaiter = 0
  }

  private let channel: Channel
  private let state = Mutex(State())
  private let closedPromise: EventLoopPromise<Void>

  private init(channel: Channel, closedPromise: EventLoopPromise<Void>) {
    self.channel = channel
    self.closedPromise = closedPromise
  }

  /// Connects, reads QEMU's greeting and leaves negotiation mode.
  public static func connect(path: String, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
    async throws -> QMPClient
  {
    let handler = LineHandler()
    let channel = try await ClientBootstrap(group: group)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
      }
      .connect(unixDomainSocketPath: path).get()
    let client = QMPClient(channel: channel, closedPromise: channel.eventLoop.makePromise())
    handler.client = client
    channel.closeFuture.whenComplete { _ in client.connectionClosed() }
    _ = try await client.execute("qmp_capabilities")
    return client
  }

  /// Runs one command and returns its `return` value; a QEMU that does not
  /// answer within `timeout` gives an error instead of a wait forever.
  @discardableResult
  public func execute(
    _ command: String, arguments: [String: JSONValue]? = nil, timeout: TimeAmount = .seconds(10)
  ) async throws -> JSONValue {
    try await withCheckedThrowingContinuation { continuation in
      let id: Int? = state.withLock { state in
        guard !state.closed else { return nil }
        let id = state.nextID
        state.nextID += 1
        state.pending[id] = continuation
        return id
      }
      guard let id else { return continuation.resume(throwing: MachineError.qmp("the connection is closed")) }
      var message: [String: JSONValue] = ["execute": .string(command), "id": .number(Double(id))]
      if let arguments { message["arguments"] = .object(arguments) }
      var line = (try? JSONEncoder().encode(JSONValue.object(message))) ?? Data()
      line.append(UInt8(ascii: "\n"))
      channel.writeAndFlush(ByteBuffer(bytes: line)).whenFailure { [weak self] error in
        self?.resolve(id: id, with: .failure(MachineError.qmp("cannot send \(command): \(error)")))
      }
      channel.eventLoop.scheduleTask(in: timeout) { [weak self] in
        self?.resolve(id: id, with: .failure(MachineError.qmp("no answer to \(command) within \(timeout)")))
      }
    }
  }

  public func status() async throws -> Status {
    let value = try await execute("query-status")
    return try JSONDecoder().decode(Status.self, from: JSONEncoder().encode(value))
  }

  /// Pauses the guest's vCPUs.
  public func stop() async throws { try await execute("stop") }
  /// Resumes them.
  public func cont() async throws { try await execute("cont") }
  /// Ends QEMU at once (no guest shutdown).
  public func quit() async throws { try await execute("quit", timeout: .seconds(2)) }

  /// The events received so far (the most recent 128 to 256).
  public var events: [Event] { state.withLock { $0.events } }

  /// Whether the guest has opened the virtio-serial port whose chardev is
  /// device id `port` (QEMU reports VSERPORT_CHANGE when it does).
  public func guestOpenedPort(_ port: String) -> Bool {
    let changes = events.filter { $0.name == "VSERPORT_CHANGE" }
    guard
      case .object(let data)? = changes.last(where: { event in
        if case .object(let data)? = event.data { return data["id"] == .string(port) }
        return false
      })?.data
    else { return false }
    return data["open"] == .bool(true)
  }

  /// Returns when the next event arrives, the connection closes, or `limit`
  /// passes, whichever is first: a waiter on an event needs no poll. With
  /// `seen` (a count of ``events`` read before), it returns at once when an
  /// event came since, so none slips between a check and the wait.
  public func nextEvent(after seen: Int? = nil, within limit: Duration) async {
    let ticket = state.withLock { state in
      defer { state.nextWaiter += 1 }
      return state.nextWaiter
    }
    let wake: @Sendable () -> Void = { [weak self] in
      self?.state.withLock { $0.eventWaiters.removeValue(forKey: ticket) }?.resume()
    }
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let registered = state.withLock { state in
          guard !state.closed, !Task.isCancelled, state.events.count <= seen ?? state.events.count else { return false }
          state.eventWaiters[ticket] = continuation
          return true
        }
        guard registered else { return continuation.resume() }
        let nanoseconds = limit.components.seconds * 1_000_000_000 + limit.components.attoseconds / 1_000_000_000
        channel.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { wake() }
      }
    } onCancel: {
      wake()
    }
  }

  /// Returns when the connection ends, which is when QEMU exits.
  public func waitUntilClosed() async {
    try? await closedPromise.futureResult.get()
  }

  /// Returns true when the connection ends within `limit`, false otherwise.
  public func waitUntilClosed(within limit: Duration) async -> Bool {
    let answer = channel.eventLoop.makePromise(of: Bool.self)
    let answered = Mutex(false)
    let settle: @Sendable (Bool) -> Void = { closed in
      let first = answered.withLock { done in
        defer { done = true }
        return !done
      }
      if first { answer.succeed(closed) }
    }
    closedPromise.futureResult.whenComplete { _ in settle(true) }
    let nanoseconds = limit.components.seconds * 1_000_000_000 + limit.components.attoseconds / 1_000_000_000
    channel.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { settle(false) }
    return (try? await answer.futureResult.get()) ?? isClosed
  }

  public var isClosed: Bool { state.withLock { $0.closed } }

  public func close() async {
    try? await channel.close()
  }

  fileprivate func received(_ line: ByteBuffer) {
    guard let reply = try? JSONDecoder().decode(Reply.self, from: Data(line.readableBytesView)) else { return }
    if let event = reply.event {
      let waiters = state.withLock { state in
        state.events.append(Event(name: event, data: reply.data))
        if state.events.count > 256 { state.events.removeFirst(128) }
        defer { state.eventWaiters = [:] }
        return state.eventWaiters.values
      }
      for waiter in waiters { waiter.resume() }
      return
    }
    guard let id = reply.id else { return }  // the greeting
    if let error = reply.error {
      resolve(id: id, with: .failure(MachineError.qmp("\(error.class): \(error.desc)")))
    } else {
      resolve(id: id, with: .success(reply.return ?? .null))
    }
  }

  private func resolve(id: Int, with result: Result<JSONValue, any Error>) {
    let continuation = state.withLock { $0.pending.removeValue(forKey: id) }
    continuation?.resume(with: result)
  }

  private func connectionClosed() {
    let (pending, waiters) = state.withLock { state in
      state.closed = true
      defer {
        state.pending = [:]
        state.eventWaiters = [:]
      }
      return (state.pending.values, state.eventWaiters.values)
    }
    for continuation in pending { continuation.resume(throwing: MachineError.qmp("QEMU closed the connection")) }
    for waiter in waiters { waiter.resume() }
    closedPromise.succeed()
  }
}

/// Splits the byte stream into lines and hands them to the client.
private final class LineHandler: ChannelInboundHandler, @unchecked Sendable {
  typealias InboundIn = ByteBuffer
  // Set once, before the first read can arrive; used on the channel's loop only.
  weak var client: QMPClient?
  private var buffer = ByteBuffer()

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    var incoming = unwrapInboundIn(data)
    buffer.writeBuffer(&incoming)
    while let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
      let length = newline - buffer.readerIndex
      if let line = buffer.readSlice(length: length) { client?.received(line) }
      buffer.moveReaderIndex(forwardBy: 1)
    }
    buffer.discardReadBytes()
  }
}
