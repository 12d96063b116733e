import CoveAPIModels
import CoveAgentProto
import Foundation
import GRPCCore
import Hummingbird

extension CoveAPI {
  func addProcessRoutes(to router: Router<CoveRequestContext>) {
    let processes = router.group("/v1/sandboxes/{id}/processes")
    // A background process: it keeps running after this request, until it
    // exits, is signalled, or the sandbox ends.
    processes.post { request, context -> EditedResponse<StartedBody> in
      let body = try await request.decode(as: Command.self, context: context)
      var start = try body.startRequest(background: true)
      start.stdin = true
      let agent = try await manager.agent(Self.sandboxID(context), for: "starting a process")
      let pid = try await agent.processes.start(start) { response -> UInt32? in
        for try await event in response.messages {
          if case .started(let started) = event.event { return started.pid }
        }
        return nil
      }
      guard let pid else { throw APIError(.badGateway, code: "agent_error", "the process did not start") }
      if let stdin = body.stdin { try await Self.writeStdin(Data(stdin.utf8), pid: pid, agent: agent) }
      return EditedResponse(status: .created, response: StartedBody(pid: pid))
    }
    processes.get { _, context -> ProcessListBody in
      let agent = try await manager.agent(Self.sandboxID(context), for: "listing processes")
      let list = try await agent.processes.list(.init())
      return ProcessListBody(processes: list.processes.map(ProcessBody.init))
    }
    processes.post("{pid}/stdin") { request, context -> HTTPResponse.Status in
      let body = try await request.decode(as: StdinBody.self, context: context)
      var data = Data(body.data.map { Data($0.utf8) } ?? Data())
      if let encoded = body.dataBase64 {
        guard let decoded = Data(base64Encoded: encoded) else { throw APIError.badRequest("data_base64 is not base64") }
        data.append(decoded)
      }
      let pid = try context.parameters.require("pid", as: UInt32.self)
      let agent = try await manager.agent(Self.sandboxID(context), for: "writing to a process")
      _ = try await agent.processes.writeStdin(
        .with {
          $0.process = .with { $0.pid = pid }
          $0.data = data
          $0.close = body.close ?? false
        })
      return .noContent
    }
    processes.post("{pid}/signal") { request, context -> HTTPResponse.Status in
      let body = try await request.decode(as: SignalBody.self, context: context)
      guard (1...64).contains(body.signal) else { throw APIError.badRequest("signal must be 1 to 64") }
      let pid = try context.parameters.require("pid", as: UInt32.self)
      let agent = try await manager.agent(Self.sandboxID(context), for: "signalling a process")
      _ = try await agent.processes.signal(
        .with {
          $0.process = .with { $0.pid = pid }
          $0.signal = body.signal
        })
      return .noContent
    }
    // Attach: the process's output from now on, and its exit, as SSE.
    processes.get("{pid}/stream") { _, context -> Response in
      let pid = try context.parameters.require("pid", as: UInt32.self)
      let id = try Self.sandboxID(context)
      let agent = try await manager.agent(id, for: "attaching to a process")
      guard try await agent.processes.list(.init()).processes.contains(where: { $0.pid == pid }) else {
        throw APIError(.notFound, code: "not_found", "no running process \(pid)")
      }
      return ServerSentEvents.response(explain: { await explain($0, sandbox: id, during: "the process") }) { send in
        try await agent.processes.attach(.with { $0.process = .with { $0.pid = pid } }) { response in
          for try await event in response.messages {
            if let buffer = ServerSentEvents.event(for: event) { try await send(buffer) }
          }
        }
      }
    }
  }
}
