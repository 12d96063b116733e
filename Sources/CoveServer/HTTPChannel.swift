import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket

extension CoveAPI {
  /// HTTP/1.1 with WebSocket upgrades, through ``CoveHTTPChannel``.
  func server() -> HTTPServerBuilder {
    let webSocketResponder = webSocketRouter().buildResponder()
    return HTTPServerBuilder { responder in
      CoveHTTPChannel(
        inner: HTTP1WebSocketUpgradeChannel(
          responder: responder, webSocketResponder: webSocketResponder,
          configuration: .init(ws: .init(maxFrameSize: 1 << 20))))
    }
  }
}

/// Hummingbird's HTTP/1 channel with WebSocket upgrades, plus an answer for
/// what it leaves unanswered: a request the HTTP parser refuses (a NUL byte
/// in a header, say) or a malformed WebSocket handshake used to get no
/// response while the connection was held open. It now gets 400 with the
/// JSON error, and the connection is closed.
struct CoveHTTPChannel: ServerChildChannel {
  typealias Value = HTTP1WebSocketUpgradeChannel.Value
  let inner: HTTP1WebSocketUpgradeChannel

  func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
    inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
      // Last in the pipeline as it stands, so before anything the upgrade
      // adds: decoder and handshake errors reach it first.
      try channel.pipeline.syncOperations.addHandler(MalformedRequestHandler(logger: logger))
      return value
    }
  }

  /// Handles the connection, and cancels the handling when the connection
  /// closes under it: a client that goes away during a quiet command (an
  /// SSE exec of `sleep 100`, a download that waits) ends that command at
  /// once, instead of when a later write would have failed.
  func handle(value: Value, logger: Logger) async {
    let closed = value.channel.closeFuture
    await withTaskGroup(of: Void.self) { group in
      group.addTask { await inner.handle(value: value, logger: logger) }
      group.addTask { await Self.wait(for: closed) }
      await group.next()
      group.cancelAll()
    }
  }

  /// Returns when `future` completes, or at once when the task is cancelled.
  private static func wait(for future: EventLoopFuture<Void>) async {
    let (ended, end) = AsyncStream.makeStream(of: Void.self)
    future.whenComplete { _ in end.finish() }
    await withTaskCancellationHandler {
      for await _ in ended {}
    } onCancel: {
      end.finish()
    }
  }
}

/// Answers a request that cannot be parsed with 400 and closes the connection.
final class MalformedRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = NIOAny
  let logger: Logger
  private var answered = false

  init(logger: Logger) { self.logger = logger }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    switch error {
    case let error as HTTPParserError where error == .invalidEOFState:
      // The client closed its side mid-request: an upload cut short, usually.
      respond(
        APIError(
          .badRequest, code: .uploadCut,
          "the request ended before its declared length (the client closed its side); nothing was written"),
        context: context, close: true)
    case let error as HTTPParserError:
      respond(.badRequest("the request is not valid HTTP/1.1 (\(error))"), context: context, close: true)
    case let error as NIOWebSocketUpgradeError where error == .invalidUpgradeHeader:
      // Hummingbird goes on to answer with a redirect and closes.
      respond(
        .badRequest("a WebSocket upgrade needs Sec-WebSocket-Key and Sec-WebSocket-Version: 13"), context: context,
        close: false)
    default:
      // A refused upgrade (unsupportedWebSocketTarget) is answered by
      // WebSocketRefusalMiddleware, which knows why.
      context.fireErrorCaught(error)
    }
  }

  /// The client closed its side. HTTP/1.1 allows a half-close after a
  /// request, but clients that do it are rare, and the request of one that
  /// is gone must not run on: a quiet command would outlive it by as long
  /// as it stays quiet (nginx treats a client's end the same way). The
  /// connection closes, which cancels the handling (``CoveHTTPChannel``).
  /// An end that cut a request short was answered above (`upload_cut`),
  /// and closes after that answer.
  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if case ChannelEvent.inputClosed = event, !answered {
      logger.debug("the client closed its side; ending the connection")
      context.close(promise: nil)
    }
    context.fireUserInboundEventTriggered(event)
  }

  private func respond(_ error: APIError, context: ChannelHandlerContext, close: Bool) {
    logger.debug("malformed request", metadata: ["error": "\(error.message)"])
    guard !answered else { return }
    answered = true
    RawResponse.write(error, on: context.channel, close: false)
    guard close else { return }
    // Ends the connection the way a client's half-close would, so that the
    // upgrade handler still waiting for a request gives up quietly (a plain
    // close makes Hummingbird log an error per bad request). A close is
    // kept in reserve should nothing act on it.
    context.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
    let channel = context.channel
    context.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
  }
}

/// A complete HTTP response written as bytes at the head of a connection's
/// pipeline, past whatever codec it has at the time, after which further
/// writes are dropped and the connection is closed. For the answers that
/// must be given where Hummingbird gives none or an empty 400.
enum RawResponse {
  static func bytes(_ error: APIError) -> ByteBuffer {
    let body = error.body
    var text = "HTTP/1.1 \(error.status.code) \(error.status.reasonPhrase)\r\n"
    text += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
    for field in error.headers { text += "\(field.name.rawName): \(field.value)\r\n" }
    text += "\r\n"
    var buffer = ByteBuffer(string: text)
    buffer.writeBytes(body)
    return buffer
  }

  /// Writes `error` as the connection's answer; `close` also closes it
  /// (otherwise the caller's own handling closes it).
  static func write(_ error: APIError, on channel: any Channel, close: Bool = true) {
    let buffer = bytes(error)
    let write: @Sendable () -> Void = {
      let pipeline = channel.pipeline.syncOperations
      // The first handler is the HTTP encoder when there is one; writing
      // from its context skips it, so the bytes go out as they are.
      guard let first = try? pipeline.context(handlerType: HTTPResponseEncoder.self) else {
        channel.close(promise: nil)
        return
      }
      first.writeAndFlush(NIOAny(buffer), promise: nil)
      try? pipeline.addHandler(DropWrites(), position: .first)
      if close { channel.close(promise: nil) }
    }
    if channel.eventLoop.inEventLoop { write() } else { channel.eventLoop.execute(write) }
  }
}

/// Swallows what is written after a raw response, such as Hummingbird's own
/// empty 400 for a refused upgrade.
final class DropWrites: ChannelOutboundHandler, RemovableChannelHandler {
  typealias OutboundIn = NIOAny

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    promise?.succeed(())
  }
}
