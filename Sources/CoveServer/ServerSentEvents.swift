import CoveAPIContract
import CoveMachine
import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle

/// Process events as Server-Sent Events, each with one line of JSON of
/// openapi.yaml's types (`CommandEvent`): `started` (`Started`), `stdout`
/// and `stderr` (`OutputChunk`), `exit` (`ExitStatus`), and `error`
/// (`ErrorDetail`) when the stream breaks after it began.
enum ServerSentEvents {
  static let headers: HTTPFields = [
    .contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no",
  ]

  static func event(_ name: String, _ data: some Encodable) -> ByteBuffer {
    ByteBuffer(string: "event: \(name)\ndata: \(ProcessEventJSON.encode(data))\n\n")
  }

  /// The event for one process event.
  static func event(for event: ProcessEvent) -> ByteBuffer {
    switch ProcessEventJSON.payload(for: event) {
    case .started(let started): self.event("started", started)
    case .stdout(let chunk): self.event("stdout", chunk)
    case .stderr(let chunk): self.event("stderr", chunk)
    case .exit(let status): self.event("exit", status)
    }
  }

  static func error(_ error: APIError) -> ByteBuffer {
    event("error", error.detail)
  }

  /// A streaming response that writes each event `produce` yields, and an
  /// `error` event (`explain` says which) if it fails after the stream
  /// began. SIGTERM ends it at once with a `shutting_down` error.
  static func response(
    explain: @escaping @Sendable (any Error) async -> APIError,
    _ produce: @escaping @Sendable (_ send: @escaping @Sendable (ByteBuffer) async throws -> Void) async throws -> Void
  ) -> Response {
    Response(
      status: .ok, headers: headers,
      body: ResponseBody { writer in
        let channel = WriterBox(writer)
        do {
          try await cancelWhenGracefulShutdown {
            try await produce { buffer in try await channel.write(buffer) }
          }
        } catch {
          let apiError = Task.isShuttingDownGracefully ? APIError.shuttingDown : await explain(error)
          // A client that stopped reading must not hold the shutdown: the
          // last word gets a second to go out.
          try await withDeadline(.seconds(1)) { try await channel.write(Self.error(apiError)) }
        }
        try await withDeadline(.seconds(1)) { try await channel.finish() }
      })
  }
}

/// Runs `operation`, cancelled after `limit`.
func withDeadline(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> Void) async throws {
  try await withThrowingTaskGroup(of: Void.self) { group in
    group.addTask { try await operation() }
    group.addTask { try await Task.sleep(for: limit) }
    defer { group.cancelAll() }
    try await group.next()
  }
}

/// The JSON of process events, shared by Server-Sent Events and
/// WebSockets: openapi.yaml's types.
enum ProcessEventJSON {
  /// One process event as the document's types give it.
  enum Payload {
    case started(Schemas.Started)
    case stdout(Schemas.OutputChunk)
    case stderr(Schemas.OutputChunk)
    case exit(Schemas.ExitStatus)
  }

  static func payload(for event: ProcessEvent) -> Payload {
    switch event {
    case .started(let pid): .started(.init(pid: Int(pid)))
    case .stdout(let data): .stdout(.init(data: .init(data)))
    case .stderr(let data): .stderr(.init(data: .init(data)))
    case .exited(let status, let timedOut):
      .exit(.init(exitCode: Int(status.shellCode), signal: status.signal.map(Int.init), timedOut: timedOut))
    }
  }

  /// The WebSocket message for one process event.
  static func message(for event: ProcessEvent) -> Schemas.WebSocketServerMessage {
    switch payload(for: event) {
    case .started(let started): .started(.init(_type: "started", pid: started.pid))
    case .stdout(let chunk): .stdout(.init(_type: "stdout", data: chunk.data))
    case .stderr(let chunk): .stderr(.init(_type: "stderr", data: chunk.data))
    case .exit(let status):
      .exit(.init(_type: "exit", exitCode: status.exitCode, signal: status.signal, timedOut: status.timedOut))
    }
  }

  static func message(for error: APIError) -> Schemas.WebSocketServerMessage {
    .error(.init(_type: "error", code: error.code, message: error.message))
  }

  /// One line of JSON: keys sorted, slashes as they are.
  static func encode(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
  }
}

/// Lets `@Sendable` closures write to the response body writer, which the
/// body closure owns as `inout`. Writes happen one at a time, in order.
final class WriterBox: @unchecked Sendable {
  private var writer: any ResponseBodyWriter

  init(_ writer: any ResponseBodyWriter) { self.writer = writer }

  func write(_ buffer: ByteBuffer) async throws { try await writer.write(buffer) }
  func finish() async throws { try await writer.finish(nil) }
}
