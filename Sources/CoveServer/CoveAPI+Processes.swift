import CoveAPIModels
import CoveMachine
import CoveRules
import Foundation
import Hummingbird

extension CoveAPI {
  func addProcessRoutes(to router: Router<CoveRequestContext>) {
    let processes = router.group("/v1/sandboxes/{id}/processes")
    // A background process: it keeps running after this request, until it
    // exits, is signalled, or the sandbox ends.
    processes.post { request, context -> EditedResponse<StartedBody> in
      let body = try await request.decode(as: Command.self, context: context)
      var spec = try body.processSpec(background: true)
      spec.stdin = true
      let guest = try await manager.guest(Self.sandboxID(context), for: "starting a process")
      guard let pid = try await guest.launch(spec) else {
        throw APIError(.badGateway, code: "agent_error", "the process did not start")
      }
      if let stdin = body.stdin { try await guest.writeStdin(pid: pid, Data(stdin.utf8), close: true) }
      return EditedResponse(status: .created, response: StartedBody(pid: pid))
    }
    processes.get { _, context -> ProcessListBody in
      let guest = try await manager.guest(Self.sandboxID(context), for: "listing processes")
      return ProcessListBody(processes: try await guest.listProcesses().map(ProcessBody.init))
    }
    processes.post("{pid}/stdin") { request, context -> HTTPResponse.Status in
      let body = try await request.decode(as: StdinBody.self, context: context)
      var data = Data(body.data.map { Data($0.utf8) } ?? Data())
      if let encoded = body.dataBase64 {
        guard let decoded = Data(base64Encoded: encoded) else { throw APIError.badRequest("data_base64 is not base64") }
        data.append(decoded)
      }
      let pid = try context.parameters.require("pid", as: UInt32.self)
      let guest = try await manager.guest(Self.sandboxID(context), for: "writing to a process")
      try await guest.writeStdin(pid: pid, data, close: body.close ?? false)
      return .noContent
    }
    processes.post("{pid}/signal") { request, context -> HTTPResponse.Status in
      let body = try await request.decode(as: SignalBody.self, context: context)
      guard GuestLimits.signals.contains(body.signal) else { throw APIError.badRequest(GuestLimits.signalRule) }
      let pid = try context.parameters.require("pid", as: UInt32.self)
      let guest = try await manager.guest(Self.sandboxID(context), for: "signalling a process")
      try await guest.signal(pid: pid, body.signal)
      return .noContent
    }
    // Attach: the process's output from now on, and its exit, as SSE.
    processes.get("{pid}/stream") { _, context -> Response in
      let pid = try context.parameters.require("pid", as: UInt32.self)
      let id = try Self.sandboxID(context)
      let guest = try await manager.guest(id, for: "attaching to a process")
      guard try await guest.listProcesses().contains(where: { $0.pid == pid }) else {
        throw APIError(.notFound, code: "not_found", "no running process \(pid)")
      }
      return ServerSentEvents.response(explain: { await explain($0, sandbox: id, during: "the process") }) { send in
        try await guest.attach(pid: pid) { events in
          for try await event in events { try await send(ServerSentEvents.event(for: event)) }
        }
      }
    }
  }
}
