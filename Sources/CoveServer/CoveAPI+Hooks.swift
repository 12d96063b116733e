import CoveAPIContract
import CoveMachine
import CoveSandbox
import Foundation
import OpenAPIRuntime

extension CoveAPI {
  /// A hook's payload is read whole, up to this (413 beyond).
  static let hookPayloadLimit = 4 << 20

  /// Lifecycle hooks inside a sandbox. The body is the payload; the answer
  /// is the command's stdout, as the HTTP contract in the guest gives it,
  /// with API errors otherwise.
  public func invokeHook(_ input: Operations.InvokeHook.Input) async throws -> Operations.InvokeHook.Output {
    guard case .binary(let body) = input.body else { throw APIError.badRequest("the body must be the payload's bytes") }
    // The body was read whole, within the limit, before this ran (ContractTransport).
    let payload = try await Data(collecting: body, upTo: Self.hookPayloadLimit)
    let result = try await manager.invokeHook(input.path.id, hook: input.path.hook.rawValue, payload: payload)
    switch result.outcome {
    case .done, .alreadyDone: return .ok(.init(body: .binary(HTTPBody(result.output))))
    case .notReady: throw APIError(.serviceUnavailable, code: .hookNotReady, result.message)
    case .refused: throw APIError(.conflict, code: .hookRefused, result.message)
    case .failed:
      throw APIError(.unprocessableContent, code: .hookFailed, "exit \(result.exitCode): \(result.message)")
    }
  }

  public func hookHistory(_ input: Operations.HookHistory.Input) async throws -> Operations.HookHistory.Output {
    let history = try await manager.hookHistory(input.path.id).map(Schemas.HookHistory.HistoryPayloadPayload.init)
    return .ok(.init(body: .json(.init(history: history))))
  }

  /// Supervised services inside a sandbox.
  public func listServices(_ input: Operations.ListServices.Input) async throws -> Operations.ListServices.Output {
    let services = try await manager.services(input.path.id).map(Schemas.ServiceStatus.init)
    return .ok(.init(body: .json(.init(services: services))))
  }

  public func serviceLogs(_ input: Operations.ServiceLogs.Input) async throws -> Operations.ServiceLogs.Output {
    let tail = input.query.tail ?? 65_536
    guard (0...(16 << 20)).contains(tail) else {
      throw APIError.badRequest("tail must be a whole number from 0 to \(16 << 20)")
    }
    let log = try await manager.serviceLogs(input.path.id, name: input.path.name, tailBytes: tail)
    return .ok(.init(body: .plainText(HTTPBody(log))))
  }
}

extension Schemas.HookHistory.HistoryPayloadPayload {
  init(_ record: HookRecord) {
    let outcome: OutcomePayload =
      switch record.outcome {
      case .done: .done
      case .notReady: .notReady
      case .alreadyDone: .alreadyDone
      case .failed: .failed
      case .refused: .refused
      }
    self.init(hook: record.hook, outcome: outcome, at: record.at)
  }
}

extension Schemas.ServiceStatus {
  init(_ service: ServiceState) {
    let state: StatePayload =
      switch service.phase {
      case .running: .running
      case .backoff: .backoff
      case .exited: .exited
      }
    self.init(
      name: service.name, state: state, pid: service.pid.map(Int.init), restarts: service.restarts,
      lastExit: service.lastExit.map(Int.init), uid: Int(service.uid), gid: Int(service.gid))
  }
}
