import NIOCore
import NIOHPACK
import NIOHTTP2

/// Answers a request message over the size limit with the gRPC status
/// RESOURCE_EXHAUSTED, as a client expects, instead of the transport's
/// answer (it resets the stream, and the client learns nothing but that the
/// stream broke).
///
/// It sits first on each HTTP/2 stream, in front of gRPC's stream handler,
/// and reads the five-byte prefix of every message as the DATA frames go
/// by. A message announced larger than `limit` is never passed on: the
/// guard sends the status (as trailers, or as a trailers-only answer when
/// no headers went out yet), drops what the client still sends on the
/// stream, and drops what gRPC's handler writes after it.
final class MessageSizeGuard: ChannelDuplexHandler, RemovableChannelHandler {
  typealias InboundIn = HTTP2Frame.FramePayload
  typealias InboundOut = HTTP2Frame.FramePayload
  typealias OutboundIn = HTTP2Frame.FramePayload
  typealias OutboundOut = HTTP2Frame.FramePayload

  private let limit: Int
  /// The bytes of the current message's prefix read so far.
  private var prefix: [UInt8] = []
  /// The bytes of the current message's body still to come.
  private var remainingBody = 0
  private var headersSent = false
  private var refused = false

  init(limit: Int) { self.limit = limit }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    if refused { return }
    let payload = unwrapInboundIn(data)
    if case .data(let frame) = payload, case .byteBuffer(var buffer) = frame.data, !accepts(&buffer) {
      refuse(context: context)
      return
    }
    context.fireChannelRead(data)
  }

  /// Follows the message framing through `buffer`; false when a message
  /// is announced larger than the limit.
  private func accepts(_ buffer: inout ByteBuffer) -> Bool {
    while buffer.readableBytes > 0 {
      if remainingBody > 0 {
        let skip = min(remainingBody, buffer.readableBytes)
        buffer.moveReaderIndex(forwardBy: skip)
        remainingBody -= skip
        continue
      }
      let take = min(5 - prefix.count, buffer.readableBytes)
      prefix += buffer.readBytes(length: take) ?? []
      guard prefix.count == 5 else { continue }
      let length = prefix[1...4].reduce(0) { $0 << 8 | Int($1) }
      prefix = []
      if length > limit { return false }
      remainingBody = length
    }
    return true
  }

  private func refuse(context: ChannelHandlerContext) {
    refused = true
    var headers: HPACKHeaders = [:]
    if !headersSent {
      headers.add(name: ":status", value: "200")
      headers.add(name: "content-type", value: "application/grpc")
    }
    headers.add(name: "grpc-status", value: "8")  // RESOURCE_EXHAUSTED
    headers.add(name: "grpc-message", value: "a request message is larger than the limit of \(limit) bytes")
    let trailers = HTTP2Frame.FramePayload.headers(.init(headers: headers, endStream: true))
    context.writeAndFlush(wrapOutboundOut(trailers), promise: nil)
  }

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    if refused {
      promise?.fail(ChannelError.outputClosed)
      return
    }
    if case .headers = unwrapOutboundIn(data) { headersSent = true }
    context.write(data, promise: promise)
  }
}
