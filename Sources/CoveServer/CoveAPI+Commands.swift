import CoveAPIContract
import CoveMachine
import Foundation
import Hummingbird
import Synchronization

extension CoveAPI {
  /// Output kept per stream by exec-and-wait; the rest is counted as truncated.
  static let execOutputLimit = 16 << 20

  public func exec(_ input: Operations.Exec.Input) async throws -> Operations.Exec.Output {
    guard case .json(let body) = input.body else { throw APIError.badRequest("the body must be JSON") }
    let spec = try body.processSpec()
    let guest = try await manager.guest(input.path.id, for: "exec")
    let collected = Mutex(CollectedOutput())
    try await guest.run(spec, stdin: body.stdin.map { Data($0.utf8) }) { event in
      collected.withLock { $0.add(event) }
    }
    guard let result = collected.withLock({ $0.result }) else {
      throw APIError(.badGateway, code: .agentError, "the agent ended the command's stream without an exit status")
    }
    return .ok(.init(body: .json(result)))
  }

  /// `execStream` (a Hummingbird route: see CoveAPI+Contract.swift): the
  /// command's events as Server-Sent Events, written as they come.
  func addCommandRoutes(to router: Router<CoveRequestContext>) {
    router.post("/v1/sandboxes/{id}/exec/stream") { request, context -> Response in
      // Read up to the context's 1 MiB, as the generated routes' bodies are.
      let body = try await request.decode(as: Schemas.Command.self, context: context)
      let spec = try body.processSpec()
      let id = try Self.sandboxID(context)
      let guest = try await manager.guest(id, for: "exec")
      return ServerSentEvents.response(explain: { await explain($0, sandbox: id, during: "the command") }) { send in
        try await guest.run(spec, stdin: body.stdin.map { Data($0.utf8) }) { event in
          try await send(ServerSentEvents.event(for: event))
        }
      }
    }
  }
}

extension Schemas.Command {
  /// The command as the guest runs it; a timeout of 0 is none.
  func processSpec(background: Bool = false) throws(APIError) -> ProcessSpec {
    guard let program = cmd.first, !program.isEmpty else { throw .badRequest("cmd must name a program") }
    if let timeout, timeout < 0 || timeout > 86_400 { throw .badRequest("timeout must be 0 to 86400 seconds") }
    return ProcessSpec(
      argv: cmd, env: env?.additionalProperties ?? [:], cwd: cwd.flatMap { $0.isEmpty ? nil : $0 },
      user: user.flatMap { $0.isEmpty ? nil : $0 }, timeout: timeout.flatMap { $0 == 0 ? nil : .seconds($0) },
      stdin: stdin != nil, tag: tag.flatMap { $0.isEmpty ? nil : $0 }, background: background)
  }
}

/// What exec-and-wait gathers: output up to a limit per stream, and the exit.
struct CollectedOutput {
  var stdout = Data()
  var stderr = Data()
  var truncated = false
  var result: Schemas.ExecResult?

  mutating func add(_ event: ProcessEvent) {
    switch event {
    case .stdout(let data): truncated = Self.append(data, to: &stdout) || truncated
    case .stderr(let data): truncated = Self.append(data, to: &stderr) || truncated
    case .exited(let status, let timedOut):
      let text = (String(validating: stdout, as: UTF8.self), String(validating: stderr, as: UTF8.self))
      let base64 = text.0 == nil || text.1 == nil
      result = Schemas.ExecResult(
        stdout: text.0.flatMap { base64 ? nil : $0 } ?? stdout.base64EncodedString(),
        stderr: text.1.flatMap { base64 ? nil : $0 } ?? stderr.base64EncodedString(),
        exitCode: Int(status.shellCode), signal: status.signal.map(Int.init), timedOut: timedOut, base64: base64,
        truncated: truncated)
    case .started: break
    }
  }

  /// Appends what fits under the limit; true when some of `data` did not.
  private static func append(_ data: Data, to output: inout Data) -> Bool {
    let room = max(0, CoveAPI.execOutputLimit - output.count)
    output.append(data.prefix(room))
    return data.count > room
  }
}
