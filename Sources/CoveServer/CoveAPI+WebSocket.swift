import CoveAPIContract
import CoveMachine
import CoveRules
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import NIOWebSocket
import ServiceLifecycle

/// A command over a WebSocket, with or without a terminal: openapi.yaml's
/// `WebSocketClientMessage` and `WebSocketServerMessage`, as JSON text
/// messages.
///
/// The client's first message is `start` (the command, optionally with a
/// PTY size). Then binary messages are standard input, and text messages
/// are controls: `stdin` (base64), `close_stdin`, `resize`, `signal`. The
/// server sends `started`, `stdout`/`stderr` (base64), then `exit` or
/// `error`, and closes. A client that goes away ends the command.
typealias ClientMessage = Schemas.WebSocketClientMessage

extension Schemas.WebSocketStart {
  func processSpec() throws(APIError) -> ProcessSpec {
    var spec = try Schemas.Command(cmd: cmd, env: env, cwd: cwd, user: user, timeout: timeout).processSpec()
    spec.stdin = true
    if let pty {
      guard let rows = UInt32(exactly: pty.rows), let cols = UInt32(exactly: pty.cols),
        let size = TerminalSize(rows: rows, cols: cols)
      else { throw .badRequest(TerminalSize.rule) }
      spec.terminal = size
    }
    return spec
  }
}

extension CoveAPI {
  /// The router for WebSocket upgrades, behind the same auth as the rest.
  /// A refused upgrade is answered with the API's JSON error and status.
  func webSocketRouter() -> Router<CoveRequestContext> {
    let router = Router(context: CoveRequestContext.self)
    router.add(middleware: WebSocketRefusalMiddleware())
    router.add(middleware: AuthMiddleware(keys: keys))
    router.ws("/v1/sandboxes/{id}/exec/ws") { request, context in
      // Refuse before upgrading when the sandbox cannot run anything.
      _ = try await manager.machine(Self.sandboxID(context), for: "exec")
      return .upgrade([:])
    } onUpgrade: { inbound, outbound, context in
      let id = try Self.sandboxID(context.requestContext)
      let send: @Sendable (Schemas.WebSocketServerMessage) async throws -> Void = { message in
        try await outbound.write(.text(ProcessEventJSON.encode(message)))
      }
      // SIGTERM ends the command here at once, rather than the daemon
      // waiting for a client that may never close.
      var failure: (any Error)?
      do {
        try await cancelWhenGracefulShutdown {
          try await runWebSocketCommand(sandbox: id, inbound: inbound, send: send)
        }
      } catch {
        failure = error
      }
      if failure != nil, Task.isShuttingDownGracefully { failure = APIError.shuttingDown }
      // A client that closed or went away has nobody to tell.
      guard let failure, !(failure is ClientLeft) else { return }
      let apiError = await explain(failure, sandbox: id, during: "the command")
      try? await send(ProcessEventJSON.message(for: apiError))
      try? await outbound.close(Self.closeCode(for: apiError), reason: nil)
    }
    return router
  }

  /// The WebSocket close code that fits an error.
  static func closeCode(for error: APIError) -> WebSocketErrorCode {
    switch error.status.code {
    case 410, 503: .goingAway
    case 400..<500: .policyViolation
    default: .unexpectedServerError
    }
  }

  /// What ended one of the tasks of a WebSocket command.
  enum WebSocketTaskEnd: Sendable {
    /// The command exited (true), or never started because the client's
    /// messages ended first (false).
    case command(ran: Bool)
    case controls
  }

  func runWebSocketCommand(
    sandbox id: String, inbound: WebSocketInboundStream,
    send: @escaping @Sendable (Schemas.WebSocketServerMessage) async throws -> Void
  ) async throws {
    let (starts, startSink) = AsyncStream.makeStream(of: ClientMessage.self)
    let (controls, controlSink) = AsyncStream.makeStream(of: ClientMessage.self)
    let (pids, pidSink) = AsyncStream.makeStream(of: UInt32.self)
    let manager = self.manager
    try await withThrowingTaskGroup(of: WebSocketTaskEnd.self) { group in
      // Reads the client: the start message, then input and controls. It
      // ends by throwing: a message that is not valid, or ClientLeft when the
      // client closes or goes away, which cancels the command.
      group.addTask {
        defer {
          startSink.finish()
          controlSink.finish()
        }
        var started = false
        for try await message in inbound.messages(maxSize: 1 << 20) {
          let parsed: ClientMessage
          switch message {
          case .binary(let buffer):
            parsed = .stdin(.init(_type: "stdin", data: .init(buffer.readableBytesView)))
          case .text(let text):
            do {
              parsed = try JSONDecoder().decode(ClientMessage.self, from: Data(text.utf8))
            } catch let error as DecodingError {
              throw APIError.badRequest("messages must be JSON objects with a type: \(APIError.describe(error))")
            }
          }
          if started {
            controlSink.yield(parsed)
          } else {
            started = true
            startSink.yield(parsed)
            startSink.finish()
          }
        }
        throw ClientLeft()
      }
      // The command, from the start message to its exit.
      group.addTask {
        defer { pidSink.finish() }
        var next = starts.makeAsyncIterator()
        guard let first = await next.next() else { return .command(ran: false) }
        guard case .start(let start) = first else {
          throw APIError.badRequest("the first message must be {\"type\": \"start\", ...}")
        }
        let spec = try start.processSpec()
        let guest = try await manager.guest(id, for: "exec")
        try await guest.start(spec) { events in
          for try await event in events {
            if case .started(let pid) = event { pidSink.yield(pid) }
            try await send(ProcessEventJSON.message(for: event))
          }
        }
        return .command(ran: true)
      }
      // Controls, once the command has a pid.
      group.addTask {
        var pidsIterator = pids.makeAsyncIterator()
        guard let pid = await pidsIterator.next() else { return .controls }
        let guest = try await manager.guest(id, for: "exec")
        for await control in controls { try await Self.apply(control, to: pid, guest: guest) }
        return .controls
      }
      // The first to fail ends the others; the command's exit ends it all.
      while let end = try await group.next() {
        if case .command(ran: true) = end { break }
      }
      group.cancelAll()
    }
  }

  static func apply(_ control: ClientMessage, to pid: UInt32, guest: any GuestAgent) async throws {
    switch control {
    case .stdin(let stdin):
      try await guest.writeStdin(pid: pid, Data(stdin.data.data), close: false)
    case .closeStdin:
      try await guest.writeStdin(pid: pid, Data(), close: true)
    case .resize(let resize):
      guard let rows = UInt32(exactly: resize.rows), let cols = UInt32(exactly: resize.cols),
        let size = TerminalSize(rows: rows, cols: cols)
      else { throw APIError.badRequest("resize needs rows and cols: \(TerminalSize.rule)") }
      try await guest.resize(pid: pid, to: size)
    case .signal(let message):
      guard let signal = Int32(exactly: message.signal), GuestLimits.signals.contains(signal) else {
        throw APIError.badRequest(GuestLimits.signalRule)
      }
      try await guest.signal(pid: pid, signal)
    case .start:
      throw APIError.badRequest("the command has started already")
    }
  }
}

/// The WebSocket client closed or went away.
struct ClientLeft: Error {}

/// Answers a refused WebSocket upgrade with the API's status and JSON error.
/// Hummingbird would answer any refusal with an empty 400, so the answer is
/// written on the connection here, before Hummingbird's (which is dropped).
struct WebSocketRefusalMiddleware: RouterMiddleware {
  typealias Context = CoveRequestContext

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    do {
      let response = try await next(request, context)
      if response.status != .ok {
        RawResponse.write(
          APIError(response.status, code: APIError.code(for: response.status), response.status.reasonPhrase),
          on: context.channel, close: false)
      }
      return response
    } catch {
      let apiError = APIError(error)
      if apiError.status.code >= 500 {
        context.logger.error("upgrade failed", metadata: ["error": "\(apiError.message)"])
      }
      RawResponse.write(apiError, on: context.channel, close: false)
      throw apiError
    }
  }
}
