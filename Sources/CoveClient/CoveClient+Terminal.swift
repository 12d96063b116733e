import CoveAPIContract
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOFoundationCompat

/// What a client sends to a command over a WebSocket.
public enum CommandInput: Sendable {
  case stdin(Data)
  case closeStdin
  case resize(rows: Int, cols: Int)
  case signal(Int32)
}

extension CoveClient {
  /// Runs a command over the API's WebSocket, optionally on a terminal of
  /// `pty` size: `input` feeds it (standard input, resizes, signals),
  /// `output` gets its output; returns its exit status.
  public func interactive(
    _ id: String, _ command: Command, pty: (rows: Int, cols: Int)?, input: AsyncStream<CommandInput>,
    output: @escaping @Sendable (OutputChannel, Data) -> Void
  ) async throws -> ExitStatus {
    let start = Components.Schemas.WebSocketClientMessage.start(
      .init(
        _type: "start", cmd: command.cmd, env: command.env.map { .init(additionalProperties: $0) }, cwd: command.cwd,
        user: command.user, timeout: command.timeout, pty: pty.map { .init(rows: $0.rows, cols: $0.cols) }))
    let startText = try Self.text(start)
    var headers = HTTPFields()
    if let key { headers[.authorization] = "Bearer \(key)" }
    let url =
      baseURL.replacingOccurrences(of: "http://", with: "ws://").replacingOccurrences(
        of: "https://", with: "wss://") + "/v1/sandboxes/\(Self.escape(id))/exec/ws"
    let result = ExitBox()
    do {
      try await connect(url: url, headers: headers, startText: startText, input: input, output: output, result: result)
    } catch let error as WebSocketClientError {
      // A refused upgrade carries no reason: ask the plain API why (a missing
      // or stopped sandbox, a bad key), or report the refusal itself.
      let sandbox = try await sandbox(id)
      if sandbox.state != .running {
        throw CoveClientError.api(
          status: 409, code: "conflict", message: "sandbox \(id) is \(sandbox.state); exec needs a running sandbox")
      }
      throw CoveClientError.protocolViolation("the WebSocket failed: \(error)")
    }
    guard let outcome = result.value else {
      throw CoveClientError.protocolViolation("the WebSocket closed before the command's exit")
    }
    return try outcome.get()
  }

  private func connect(
    url: String, headers: HTTPFields, startText: String, input: AsyncStream<CommandInput>,
    output: @escaping @Sendable (OutputChannel, Data) -> Void, result: ExitBox
  ) async throws {
    try await WebSocketClient.connect(
      url: url, configuration: .init(maxFrameSize: 1 << 20, additionalHeaders: headers),
      logger: Logger(label: "cove.client.ws")
    ) { inbound, outbound, _ in
      try await outbound.write(.text(startText))
      let sending = Task {
        for await item in input {
          switch item {
          case .stdin(let data): try await outbound.write(.binary(ByteBuffer(data: data)))
          case .closeStdin: try await outbound.write(.text(Self.text(.closeStdin(.init(_type: "close_stdin")))))
          case .resize(let rows, let cols):
            try await outbound.write(.text(Self.text(.resize(.init(_type: "resize", rows: rows, cols: cols)))))
          case .signal(let signal):
            try await outbound.write(.text(Self.text(.signal(.init(_type: "signal", signal: Int(signal))))))
          }
        }
      }
      defer { sending.cancel() }
      for try await message in inbound.messages(maxSize: 4 << 20) {
        // Binary messages, or kinds a newer daemon adds, are not for this client.
        guard case .text(let text) = message,
          let event = try? JSONDecoder().decode(Components.Schemas.WebSocketServerMessage.self, from: Data(text.utf8))
        else { continue }
        switch event {
        case .stdout(let chunk): output(.stdout, Data(chunk.data.data))
        case .stderr(let chunk): output(.stderr, Data(chunk.data.data))
        case .exit(let exit):
          result.set(.success(ExitStatus(exitCode: exit.exitCode, signal: exit.signal, timedOut: exit.timedOut)))
          return
        case .error(let error):
          result.set(.failure(CoveClientError.api(status: 200, code: error.code.rawValue, message: error.message)))
          return
        case .started: break
        }
      }
    }
  }

  /// A client message as the WebSocket's JSON text.
  static func text(_ message: Components.Schemas.WebSocketClientMessage) throws -> String {
    String(decoding: try JSONEncoder().encode(message), as: UTF8.self)
  }
}

/// The outcome of an interactive command, set once from the WebSocket handler.
final class ExitBox: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: Result<ExitStatus, CoveClientError>?

  func set(_ outcome: Result<ExitStatus, CoveClientError>) { lock.withLock { stored = outcome } }
  var value: Result<ExitStatus, CoveClientError>? { lock.withLock { stored } }
}
