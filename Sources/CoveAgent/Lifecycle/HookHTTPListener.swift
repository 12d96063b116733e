import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Serves the HTTP contract of the lifecycle hooks on a TCP port of every
/// IPv4 address, on the agent's event loop. One listener at a time: moving
/// to another port opens the new one before closing the old.
final class HookHTTPListener: Sendable {
  private typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

  private struct State {
    var port: UInt32 = 0
    var channel: (any Channel)?
  }

  private let state = Mutex(State())
  /// Moves one at a time, so that two Configure calls cannot both listen.
  private let moves = AsyncGate()
  let lifecycle: Lifecycle
  let group: any EventLoopGroup
  let logger: Logger

  init(lifecycle: Lifecycle, group: any EventLoopGroup, logger: Logger) {
    self.lifecycle = lifecycle
    self.group = group
    self.logger = logger
  }

  /// The port served; 0 when none.
  var port: UInt32 { state.withLock { $0.port } }

  /// Serves on `port` from now on; 0 serves nothing. When the new port
  /// cannot be opened, the old one stays.
  func listen(on port: UInt32) async throws(AgentError) {
    guard port <= UInt32(UInt16.max) else { throw AgentError(.invalidArgument, "port \(port) is not a TCP port") }
    try await moves.serialized { () async throws(AgentError) in
      guard port != self.port else { return }
      var opened: (any Channel)? = nil
      if port != 0 {
        let server = try await bind(port)
        opened = server.channel
        // The accept loop ends when its channel is closed; the connections it
        // accepted finish their requests first.
        Task { await self.serve(server) }
      }
      let old = state.withLock { s in
        let old = s.channel
        (s.port, s.channel) = (port, opened)
        return old
      }
      try? await old?.close()
      logger.info("lifecycle HTTP", metadata: ["port": "\(port)"])
    }
  }

  private func bind(_ port: UInt32) async throws(AgentError)
    -> NIOAsyncChannel<Connection, Never>
  {
    do {
      return try await ServerBootstrap(group: group)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .bind(to: try SocketAddress(ipAddress: "0.0.0.0", port: Int(port))) { channel in
          channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
            return try Connection(wrappingChannelSynchronously: channel)
          }
        }
    } catch let error as IOError {
      throw AgentError.system("listen on", "port \(port)", errno: error.errnoCode)
    } catch {
      throw AgentError(.internalError, "cannot listen on port \(port): \(error)")
    }
  }

  private func serve(_ server: NIOAsyncChannel<Connection, Never>) async {
    await withDiscardingTaskGroup { connections in
      try? await server.executeThenClose { inbound in
        for try await connection in inbound {
          connections.addTask { await self.handle(connection) }
        }
      }
    }
  }

  /// Answers the requests of one connection in order, until the client or
  /// an answer closes it.
  private func handle(_ connection: Connection) async {
    try? await connection.executeThenClose { inbound, outbound in
      var head: HTTPRequestHead? = nil
      var body: [UInt8] = []
      var tooLarge = false
      for try await part in inbound {
        switch part {
        case .head(let h):
          (head, body, tooLarge) = (h, [], false)
          if let length = h.headers.first(name: "content-length").flatMap(Int.init) {
            tooLarge = length > HookHTTPContract.maxBodyBytes
          }
        case .body(let chunk):
          // An oversized body is read to its end and dropped, so that the
          // client is there to receive the 413.
          guard head != nil, !tooLarge else { continue }
          if body.count + chunk.readableBytes > HookHTTPContract.maxBodyBytes {
            (body, tooLarge) = ([], true)
          } else {
            body.append(contentsOf: chunk.readableBytesView)
          }
        case .end:
          guard let request = head else { continue }
          head = nil
          let answer = await self.answer(request, body: body, tooLarge: tooLarge)
          let keepAlive = request.isKeepAlive && !tooLarge
          try await Self.write(answer, keepAlive: keepAlive, to: outbound)
          if !keepAlive { return }
        }
      }
    }
  }

  private func answer(_ request: HTTPRequestHead, body: [UInt8], tooLarge: Bool) async -> HookHTTPContract.Answer {
    switch HookHTTPContract.route(method: request.method, uri: request.uri) {
    case .notFound: return .notFound
    case .methodNotAllowed: return .methodNotAllowed
    case .hook(let hook):
      if tooLarge { return .tooLarge }
      return HookHTTPContract.answer(await lifecycle.invoke(hook, payload: body))
    }
  }

  private static func write(
    _ answer: HookHTTPContract.Answer, keepAlive: Bool,
    to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
  ) async throws {
    var headers = HTTPHeaders()
    headers.add(name: "content-type", value: answer.contentType)
    headers.add(name: "content-length", value: "\(answer.body.count)")
    if answer.status == .methodNotAllowed { headers.add(name: "allow", value: "POST") }
    headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
    try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: answer.status, headers: headers)))
    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: answer.body))))
    try await outbound.write(.end(nil))
  }
}
