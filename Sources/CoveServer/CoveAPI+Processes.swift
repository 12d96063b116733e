import CoveAPIContract
import CoveMachine
import CoveRules
import Foundation
import Hummingbird

extension CoveAPI {
  /// A background process: it keeps running after this request, until it
  /// exits, is signalled, or the sandbox ends.
  public func startProcess(_ input: Operations.StartProcess.Input) async throws -> Operations.StartProcess.Output {
    guard case .json(let body) = input.body else { throw APIError.badRequest("the body must be JSON") }
    var spec = try body.processSpec(background: true)
    spec.stdin = true
    let guest = try await manager.guest(input.path.id, for: "starting a process")
    guard let pid = try await guest.launch(spec) else {
      throw APIError(.badGateway, code: .agentError, "the process did not start")
    }
    if let stdin = body.stdin { try await guest.writeStdin(pid: pid, Data(stdin.utf8), close: true) }
    return .created(.init(body: .json(.init(pid: Int(pid)))))
  }

  public func listProcesses(_ input: Operations.ListProcesses.Input) async throws -> Operations.ListProcesses.Output {
    let guest = try await manager.guest(input.path.id, for: "listing processes")
    return .ok(.init(body: .json(.init(processes: try await guest.listProcesses().map(Schemas.Process.init)))))
  }

  public func writeStdin(_ input: Operations.WriteStdin.Input) async throws -> Operations.WriteStdin.Output {
    guard case .json(let body) = input.body else { throw APIError.badRequest("the body must be JSON") }
    var data = Data(body.data.map { Data($0.utf8) } ?? Data())
    if let encoded = body.dataBase64 { data.append(Data(encoded.data)) }
    let pid = try Self.pid(input.path.pid)
    let guest = try await manager.guest(input.path.id, for: "writing to a process")
    try await guest.writeStdin(pid: pid, data, close: body.close ?? false)
    return .noContent(.init())
  }

  public func signalProcess(_ input: Operations.SignalProcess.Input) async throws -> Operations.SignalProcess.Output {
    guard case .json(let body) = input.body else { throw APIError.badRequest("the body must be JSON") }
    guard let signal = Int32(exactly: body.signal), GuestLimits.signals.contains(signal) else {
      throw APIError.badRequest(GuestLimits.signalRule)
    }
    let pid = try Self.pid(input.path.pid)
    let guest = try await manager.guest(input.path.id, for: "signalling a process")
    try await guest.signal(pid: pid, signal)
    return .noContent(.init())
  }

  /// A pid as the guest counts them.
  static func pid(_ value: Int) throws(APIError) -> UInt32 {
    guard let pid = UInt32(exactly: value), pid > 0 else { throw .badRequest("pid must be from 1 to \(UInt32.max)") }
    return pid
  }

  /// `attachProcess` (a Hummingbird route: see CoveAPI+Contract.swift): the
  /// process's output from now on, and its exit, as Server-Sent Events.
  func addProcessRoutes(to router: Router<CoveRequestContext>) {
    router.get("/v1/sandboxes/{id}/processes/{pid}/stream") { _, context -> Response in
      let pid = try context.parameters.require("pid", as: UInt32.self)
      let id = try Self.sandboxID(context)
      let guest = try await manager.guest(id, for: "attaching to a process")
      guard try await guest.listProcesses().contains(where: { $0.pid == pid }) else {
        throw APIError(.notFound, code: .notFound, "no running process \(pid)")
      }
      return ServerSentEvents.response(explain: { await explain($0, sandbox: id, during: "the process") }) { send in
        try await guest.attach(pid: pid) { events in
          for try await event in events { try await send(ServerSentEvents.event(for: event)) }
        }
      }
    }
  }
}

extension Schemas.Process {
  init(_ process: GuestProcess) {
    self.init(
      pid: Int(process.pid), tag: process.tag, cmd: process.argv, pty: process.terminal,
      background: process.background)
  }
}
