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
    var start: [String: Any] = ["type": "start", "cmd": command.cmd]
    if let env = command.env { start["env"] = env }
    if let cwd = command.cwd { start["cwd"] = cwd }
    if let user = command.user { start["user"] = user }
    if let timeout = command.timeout { start["timeout"] = timeout }
    if let pty { start["pty"] = ["rows": pty.rows, "cols": pty.cols] }
    let startText = String(decoding: try JSONSerialization.data(withJSONObject: start), as: UTF8.self)
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
      if sandbox.state != "running" {
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
          case .closeStdin: try await outbound.write(.text(#"{"type":"close_stdin"}"#))
          case .resize(let rows, let cols):
            try await outbound.write(.text(#"{"type":"resize","rows":\#(rows),"cols":\#(cols)}"#))
          case .signal(let signal): try await outbound.write(.text(#"{"type":"signal","signal":\#(signal)}"#))
          }
        }
      }
      defer { sending.cancel() }
      for try await message in inbound.messages(maxSize: 4 << 20) {
        guard case .text(let text) = message,
          let event = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
          let type = event["type"] as? String
        else { continue }
        switch type {
        case "stdout", "stderr":
          let data = (event["data"] as? String).flatMap { Data(base64Encoded: $0) } ?? Data()
          output(type == "stdout" ? .stdout : .stderr, data)
        case "exit":
          result.set(
            .success(
              ExitStatus(
                exitCode: Int32(event["exit_code"] as? Int ?? 1), signal: (event["signal"] as? Int).map(Int32.init),
                timedOut: event["timed_out"] as? Bool ?? false)))
          return
        case "error":
          result.set(
            .failure(
              CoveClientError.api(
                status: 200, code: event["code"] as? String ?? "error", message: event["message"] as? String ?? "")))
          return
        default: break
        }
      }
    }
  }
}

/// The outcome of an interactive command, set once from the WebSocket handler.
final class ExitBox: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: Result<ExitStatus, CoveClientError>?

  func set(_ outcome: Result<ExitStatus, CoveClientError>) { lock.withLock { stored = outcome } }
  var value: Result<ExitStatus, CoveClientError>? { lock.withLock { stored } }
}
