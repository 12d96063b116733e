import CoveMachine
import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle

/// Process events as Server-Sent Events: `started` `{"pid": N}`, `stdout` and
/// `stderr` `{"data": BASE64}`, `exit` `{"exit_code": N, "signal": N|null,
/// "timed_out": B}`, and `error` `{"code": ..., "message": ...}` when the
/// stream breaks after it began.
enum ServerSentEvents {
  static let headers: HTTPFields = [
    .contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no",
  ]

  static func event(_ name: String, _ fields: [String: Any?]) -> ByteBuffer {
    ByteBuffer(string: "event: \(name)\ndata: \(ProcessEventJSON.encode(fields))\n\n")
  }

  /// The event for one process event.
  static func event(for event: ProcessEvent) -> ByteBuffer {
    let (name, fields) = ProcessEventJSON.fields(for: event)
    return self.event(name, fields)
  }

  static func error(_ error: APIError) -> ByteBuffer {
    event("error", ProcessEventJSON.fields(for: error))
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

/// The JSON of process events, shared by Server-Sent Events and WebSockets.
enum ProcessEventJSON {
  /// The event's name and fields.
  static func fields(for event: ProcessEvent) -> (name: String, fields: [String: Any?]) {
    switch event {
    case .started(let pid): ("started", ["pid": pid])
    case .stdout(let data): ("stdout", ["data": data.base64EncodedString()])
    case .stderr(let data): ("stderr", ["data": data.base64EncodedString()])
    case .exited(let status, let timedOut):
      ("exit", ["exit_code": status.shellCode, "signal": status.signal, "timed_out": timedOut])
    }
  }

  static func fields(for error: APIError) -> [String: Any?] { ["code": error.code, "message": error.message] }

  static func encode(_ fields: [String: Any?]) -> String {
    let object = fields.mapValues { $0 ?? NSNull() }
    let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data ?? Data("{}".utf8), as: UTF8.self)
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
