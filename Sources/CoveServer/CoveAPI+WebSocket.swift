import CoveAPIModels
import CoveAgentProto
import CoveMachine
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Synchronization

/// A command over a WebSocket, with or without a terminal.
///
/// The client's first message is text, `{"type": "start", "cmd": [...], "env",
/// "cwd", "user", "timeout", "pty": {"rows": R, "cols": C}}`. Then binary
/// messages are standard input, and text messages are controls:
/// `{"type": "stdin", "data": BASE64}`, `{"type": "close_stdin"}`,
/// `{"type": "resize", "rows": R, "cols": C}`, `{"type": "signal", "signal": N}`.
/// The server sends text messages: `{"type": "started", "pid"}`,
/// `{"type": "stdout"|"stderr", "data": BASE64}`, `{"type": "exit", "exit_code",
/// "signal", "timed_out"}` or `{"type": "error", "code", "message"}`, then
/// closes. A client that goes away ends the command.
struct ClientMessage: Decodable, Sendable {
  struct Size: Decodable, Sendable {
    var rows: UInt32
    var cols: UInt32
  }
  var type: String
  var cmd: [String]?
  var env: [String: String]?
  var cwd: String?
  var user: String?
  var timeout: Int?
  var pty: Size?
  var data: String?
  var rows: UInt32?
  var cols: UInt32?
  var signal: Int32?

  func startRequest() throws(APIError) -> Cove_Agent_V1_StartRequest {
    guard type == "start" else { throw .badRequest("the first message must be {\"type\": \"start\", ...}") }
    var request = try Command(cmd ?? [], env: env, cwd: cwd, user: user, timeout: timeout).startRequest()
    request.stdin = true
    if let pty {
      guard (1...1000).contains(pty.rows), (1...1000).contains(pty.cols) else {
        throw .badRequest("pty rows and cols must be 1 to 1000")
      }
      request.pty = .with {
        $0.rows = pty.rows
        $0.cols = pty.cols
      }
    }
    return request
  }
}

extension CoveAPI {
  /// The router for WebSocket upgrades, behind the same auth as the rest.
  func webSocketRouter() -> Router<CoveRequestContext> {
    let router = Router(context: CoveRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: AuthMiddleware(keys: keys))
    router.ws("/v1/sandboxes/{id}/exec/ws") { request, context in
      // Refuse before upgrading when the sandbox cannot run anything.
      _ = try await manager.machine(Self.sandboxID(context), for: "exec")
      return .upgrade([:])
    } onUpgrade: { inbound, outbound, context in
      let id = try Self.sandboxID(context.requestContext)
      let send: @Sendable (String, [String: Any?]) async throws -> Void = { type, fields in
        var fields = fields
        fields["type"] = type
        try await outbound.write(.text(ProcessEventJSON.encode(fields)))
      }
      do {
        try await runWebSocketCommand(sandbox: id, inbound: inbound, send: send)
      } catch {
        try? await send("error", ProcessEventJSON.fields(for: APIError(error)))
      }
    }
    return router
  }

  func runWebSocketCommand(
    sandbox id: String, inbound: WebSocketInboundStream,
    send: @escaping @Sendable (String, [String: Any?]) async throws -> Void
  ) async throws {
    let (starts, startSink) = AsyncStream.makeStream(of: ClientMessage.self)
    let (controls, controlSink) = AsyncStream.makeStream(of: ClientMessage.self)
    try await withThrowingTaskGroup(of: Void.self) { group in
      // Reads the client: the start message, then input and controls. The
      // client going away cancels the command.
      group.addTask {
        var started = false
        for try await message in inbound.messages(maxSize: 1 << 20) {
          let parsed: ClientMessage
          switch message {
          case .binary(let buffer):
            parsed = ClientMessage(type: "stdin", data: Data(buffer: buffer).base64EncodedString())
          case .text(let text):
            do {
              parsed = try JSONDecoder().decode(ClientMessage.self, from: Data(text.utf8))
            } catch {
              throw APIError.badRequest("messages must be JSON objects with a type")
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
        startSink.finish()
        controlSink.finish()
        throw CancellationError()
      }
      var next = starts.makeAsyncIterator()
      guard let start = await next.next() else { return }
      let request = try start.startRequest()
      let agent = try await manager.agent(id, for: "exec")
      try await agent.processes.start(request) { response in
        let pid = SharedValue<UInt32?>(nil)
        try await withThrowingTaskGroup(of: Void.self) { inner in
          inner.addTask {
            for await control in controls {
              while pid.value == nil { try await Task.sleep(for: .milliseconds(5)) }
              try await Self.apply(control, to: pid.value ?? 0, agent: agent)
            }
          }
          for try await event in response.messages {
            if case .started(let started) = event.event { pid.value = started.pid }
            if let (name, fields) = ProcessEventJSON.fields(for: event) { try await send(name, fields) }
          }
          inner.cancelAll()
        }
      }
      group.cancelAll()
    }
  }

  static func apply(_ control: ClientMessage, to pid: UInt32, agent: AgentConnection) async throws {
    let process = Cove_Agent_V1_ProcessSelector.with { $0.pid = pid }
    switch control.type {
    case "stdin":
      guard let data = control.data.flatMap({ Data(base64Encoded: $0) }) else {
        throw APIError.badRequest("stdin data must be base64")
      }
      _ = try await agent.processes.writeStdin(
        .with {
          $0.process = process
          $0.data = data
        })
    case "close_stdin":
      _ = try await agent.processes.writeStdin(
        .with {
          $0.process = process
          $0.close = true
        })
    case "resize":
      guard let rows = control.rows, let cols = control.cols, (1...1000).contains(rows), (1...1000).contains(cols)
      else { throw APIError.badRequest("resize needs rows and cols, 1 to 1000") }
      _ = try await agent.processes.resizePty(
        .with {
          $0.process = process
          $0.size = .with {
            $0.rows = rows
            $0.cols = cols
          }
        })
    case "signal":
      guard let signal = control.signal, (1...64).contains(signal) else {
        throw APIError.badRequest("signal must be 1 to 64")
      }
      _ = try await agent.processes.signal(
        .with {
          $0.process = process
          $0.signal = signal
        })
    default:
      throw APIError.badRequest("unknown message type \(control.type)")
    }
  }
}

extension ClientMessage {
  init(type: String, data: String? = nil) {
    self.type = type
    self.data = data
  }
}

/// A value that concurrent tasks read and set.
final class SharedValue<Value: Sendable>: Sendable {
  private let storage: Mutex<Value>

  init(_ value: Value) { storage = Mutex(value) }

  var value: Value {
    get { storage.withLock { $0 } }
    set { storage.withLock { $0 = newValue } }
  }
}
