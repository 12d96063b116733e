import CCoveSystem
import CoveAgentProto
import CoveRules
import GRPCCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The Process service: start, attach, stdin, signals, terminal size, list.
public struct ProcessService: Cove_Agent_V1_Process.SimpleServiceProtocol {
  let supervisor: ProcessSupervisor

  public init(supervisor: ProcessSupervisor) { self.supervisor = supervisor }

  public func start(
    request: Cove_Agent_V1_StartRequest,
    response: RPCWriter<Cove_Agent_V1_ProcessEvent>,
    context: ServerContext
  ) async throws {
    let queue = EventQueue(capacity: 16)
    let process = try await mappingErrors { try await supervisor.start(request, owner: queue) }
    // A foreground process does not outlive the call that started it: when
    // the call ends early (its client cancelled, reset the stream or went
    // away) the whole group is killed and the process's slot freed. A
    // background one carries on; only this call's subscription ends.
    let background = request.background
    let endCall: @Sendable () -> Void = {
      queue.finish()
      if !background { process.abandon() }
    }
    do {
      try await untilCallEnds({ try await forward(queue, to: response) }, onCancel: endCall)
    } catch {
      endCall()
      throw error
    }
  }

  public func attach(
    request: Cove_Agent_V1_AttachRequest,
    response: RPCWriter<Cove_Agent_V1_ProcessEvent>,
    context: ServerContext
  ) async throws {
    try await mappingErrors {
      let process = try supervisor.find(request.process)
      let queue = EventQueue(capacity: supervisor.limits.attachBufferEvents)
      guard let id = process.subscribe(queue, owner: false) else {
        throw AgentError(.notFound, "process \(process.pid) has exited")
      }
      defer { process.unsubscribe(id) }
      // A quiet process gives `forward` nothing to fail on: end it with the call.
      try await untilCallEnds({ try await forward(queue, to: response) }, onCancel: { queue.finish() })
    }
  }

  private func forward(_ queue: EventQueue, to response: RPCWriter<Cove_Agent_V1_ProcessEvent>) async throws {
    while let event = await queue.next() {
      try await response.write(event)
    }
  }

  public func writeStdin(
    request: Cove_Agent_V1_WriteStdinRequest, context: ServerContext
  ) async throws -> Cove_Agent_V1_WriteStdinResponse {
    try await mappingErrors {
      let process = try supervisor.find(request.process)
      try await process.writeStdin(Array(request.data), close: request.close)
      return Cove_Agent_V1_WriteStdinResponse()
    }
  }

  public func signal(
    request: Cove_Agent_V1_SignalRequest, context: ServerContext
  ) async throws -> Cove_Agent_V1_SignalResponse {
    try await mappingErrors {
      guard (1...64).contains(request.signal) else {
        throw AgentError(.invalidArgument, "signal \(request.signal) is not between 1 and 64")
      }
      let process = try supervisor.find(request.process)
      process.kill(signal: request.signal)
      return Cove_Agent_V1_SignalResponse()
    }
  }

  public func resizePty(
    request: Cove_Agent_V1_ResizePtyRequest, context: ServerContext
  ) async throws -> Cove_Agent_V1_ResizePtyResponse {
    try await mappingErrors {
      let process = try supervisor.find(request.process)
      guard let master = process.ptyMaster else {
        throw AgentError(.failedPrecondition, "process \(process.pid) has no terminal")
      }
      guard TerminalSize(rows: request.size.rows, cols: request.size.cols) != nil else {
        throw AgentError(.invalidArgument, TerminalSize.rule)
      }
      try check(
        "resize", "terminal of \(process.pid)",
        cove_set_window_size(master, UInt16(request.size.rows), UInt16(request.size.cols)))
      return Cove_Agent_V1_ResizePtyResponse()
    }
  }

  public func list(
    request: Cove_Agent_V1_ListProcessesRequest, context: ServerContext
  ) async throws -> Cove_Agent_V1_ListProcessesResponse {
    .with { $0.processes = supervisor.all.map(\.info) }
  }
}
