import CoveAgentProto
import Foundation
import HTTPTypes
import Hummingbird

/// Process events as Server-Sent Events: `started` `{"pid": N}`, `stdout` and
/// `stderr` `{"data": BASE64}`, `exit` `{"exit_code": N, "signal": N|null,
/// "timed_out": B}`, and `error` `{"code": ..., "message": ...}` when the
/// stream breaks after it began.
enum ServerSentEvents {
  static let headers: HTTPFields = [
    .contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no",
  ]

  static func event(_ name: String, _ json: [String: Any?]) -> ByteBuffer {
    let object = json.mapValues { $0 ?? NSNull() }
    let data =
      (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
      ?? Data("{}".utf8)
    return ByteBuffer(string: "event: \(name)\ndata: \(String(decoding: data, as: UTF8.self))\n\n")
  }

  /// The event for one agent event; nil for none.
  static func event(for event: Cove_Agent_V1_ProcessEvent) -> ByteBuffer? {
    switch event.event {
    case .started(let started): return self.event("started", ["pid": started.pid])
    case .stdout(let data): return self.event("stdout", ["data": data.base64EncodedString()])
    case .stderr(let data): return self.event("stderr", ["data": data.base64EncodedString()])
    case .exited(let exited):
      let exit = ExitStatus(exited)
      return self.event("exit", ["exit_code": exit.code, "signal": exit.signal, "timed_out": exited.timedOut])
    case nil: return nil
    }
  }

  static func error(_ error: APIError) -> ByteBuffer {
    event("error", ["code": error.code, "message": error.message])
  }

  /// A streaming response that writes each event `produce` yields, and an
  /// `error` event if it fails after the stream began.
  static func response(
    _ produce: @escaping @Sendable (_ send: @escaping @Sendable (ByteBuffer) async throws -> Void) async throws -> Void
  ) -> Response {
    Response(
      status: .ok, headers: headers,
      body: ResponseBody { writer in
        let channel = WriterBox(writer)
        do {
          try await produce { buffer in try await channel.write(buffer) }
        } catch {
          try await channel.write(Self.error(APIError(error)))
        }
        try await channel.finish()
      })
  }
}

/// How a process ended, as a shell reports it: 128 + signal when killed.
struct ExitStatus {
  var code: Int32
  var signal: Int32?

  init(_ exited: Cove_Agent_V1_ProcessEvent.Exited) {
    switch exited.status {
    case .code(let value): (code, signal) = (value, nil)
    case .signal(let value): (code, signal) = (128 + value, value)
    case nil: (code, signal) = (1, nil)
    }
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
