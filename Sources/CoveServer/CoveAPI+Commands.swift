import CoveAPIModels
import CoveAgentProto
import CoveMachine
import Foundation
import GRPCCore
import Hummingbird
import Synchronization

extension CoveAPI {
  /// Output kept per stream by exec-and-wait; the rest is counted as truncated.
  static let execOutputLimit = 16 << 20

  func addCommandRoutes(to router: Router<CoveRequestContext>) {
    router.post("/v1/sandboxes/{id}/exec") { request, context -> ExecResult in
      let body = try await request.decode(as: Command.self, context: context)
      let start = try body.startRequest()
      let agent = try await manager.agent(Self.sandboxID(context), for: "exec")
      let collected = Mutex(CollectedOutput())
      try await Self.run(start, stdin: body.stdin.map { Data($0.utf8) }, agent: agent) { event in
        collected.withLock { $0.add(event) }
      }
      guard let result = collected.withLock({ $0.result }) else {
        throw APIError(.badGateway, code: "agent_error", "the agent ended the command's stream without an exit status")
      }
      return result
    }
    router.post("/v1/sandboxes/{id}/exec/stream") { request, context -> Response in
      let body = try await request.decode(as: Command.self, context: context)
      let start = try body.startRequest()
      let id = try Self.sandboxID(context)
      let agent = try await manager.agent(id, for: "exec")
      return ServerSentEvents.response(explain: { await explain($0, sandbox: id, during: "the command") }) { send in
        try await Self.run(start, stdin: body.stdin.map { Data($0.utf8) }, agent: agent) { event in
          if let buffer = ServerSentEvents.event(for: event) { try await send(buffer) }
        }
      }
    }
  }

  /// Starts a command through the agent and hands each of its events to
  /// `onEvent`; `stdin`, if any, is written (then closed) once it started,
  /// beside the reading, so that neither waits on the other.
  static func run(
    _ request: Cove_Agent_V1_StartRequest, stdin: Data?, agent: AgentConnection,
    onEvent: @escaping @Sendable (Cove_Agent_V1_ProcessEvent) async throws -> Void
  ) async throws {
    try await agent.processes.start(request) { response in
      var writing: Task<Void, Never>?
      defer { writing?.cancel() }
      for try await event in response.messages {
        if let stdin, case .started(let started) = event.event {
          writing = Task { try? await writeStdin(stdin, pid: started.pid, agent: agent) }
        }
        try await onEvent(event)
      }
    }
  }

  /// Starts a command through the agent, gives it `stdin` (then closes it)
  /// once it started, and hands the event stream to `handle`.
  static func run<Result: Sendable>(
    _ request: Cove_Agent_V1_StartRequest, stdin: Data?, agent: AgentConnection,
    handle: @escaping @Sendable (StreamingClientResponse<Cove_Agent_V1_ProcessEvent>) async throws -> Result
  ) async throws -> Result {
    guard let stdin else { return try await agent.processes.start(request, onResponse: handle) }
    return try await agent.processes.start(request) { response in
      let (events, continuation) = AsyncThrowingStream.makeStream(of: Cove_Agent_V1_ProcessEvent.self)
      let forwarding = Task {
        do {
          for try await event in response.messages {
            if case .started(let started) = event.event {
              try await writeStdin(stdin, pid: started.pid, agent: agent)
            }
            continuation.yield(event)
          }
          continuation.finish()
        } catch {
          continuation.finish(throwing: error)
        }
      }
      defer { forwarding.cancel() }
      return try await handle(
        StreamingClientResponse(metadata: [:], bodyParts: RPCAsyncSequence(wrapping: events.map { .message($0) })))
    }
  }

  /// Writes `data` to a process's standard input in message-sized pieces, then closes it.
  static func writeStdin(_ data: Data, pid: UInt32, agent: AgentConnection) async throws {
    var offset = data.startIndex
    repeat {
      let end = min(offset + (1 << 20), data.endIndex)
      _ = try await agent.processes.writeStdin(
        .with {
          $0.process = .with { $0.pid = pid }
          $0.data = data[offset..<end]
          $0.close = end == data.endIndex
        })
      offset = end
    } while offset < data.endIndex
  }
}

/// What exec-and-wait gathers: output up to a limit per stream, and the exit.
struct CollectedOutput {
  var stdout = Data()
  var stderr = Data()
  var truncated = false
  var result: ExecResult?

  mutating func add(_ event: Cove_Agent_V1_ProcessEvent) {
    switch event.event {
    case .stdout(let data): truncated = Self.append(data, to: &stdout) || truncated
    case .stderr(let data): truncated = Self.append(data, to: &stderr) || truncated
    case .exited(let exited):
      let status = ExitStatus(exited)
      let text = (String(validating: stdout, as: UTF8.self), String(validating: stderr, as: UTF8.self))
      let base64 = text.0 == nil || text.1 == nil
      result = ExecResult(
        stdout: text.0.flatMap { base64 ? nil : $0 } ?? stdout.base64EncodedString(),
        stderr: text.1.flatMap { base64 ? nil : $0 } ?? stderr.base64EncodedString(), exitCode: status.code,
        signal: status.signal, timedOut: exited.timedOut, base64: base64, truncated: truncated)
    default: break
    }
  }

  /// Appends what fits under the limit; true when some of `data` did not.
  private static func append(_ data: Data, to output: inout Data) -> Bool {
    let room = max(0, CoveAPI.execOutputLimit - output.count)
    output.append(data.prefix(room))
    return data.count > room
  }
}
