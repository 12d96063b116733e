import CoveAPIModels
import CoveMachine
import CoveSandbox
import Foundation
import Hummingbird

extension CoveAPI {
  /// Lifecycle hooks and supervised services inside a sandbox.
  func addHookRoutes(to router: Router<CoveRequestContext>) {
    let sandbox = router.group("/v1/sandboxes/{id}")
    // The body is the payload; the answer is the command's stdout, as the
    // HTTP contract in the guest gives it, with API errors otherwise.
    sandbox.post("hooks/{hook}") { request, context -> Response in
      let payload = try await request.body.collect(upTo: 4 << 20)
      let result = try await manager.invokeHook(
        Self.sandboxID(context), hook: context.parameters.require("hook"), payload: Data(buffer: payload))
      switch result.outcome {
      case .done, .alreadyDone:
        return Response(
          status: .ok, headers: [.contentType: "application/octet-stream"],
          body: .init(byteBuffer: ByteBuffer(data: result.output)))
      case .notReady: throw APIError(.serviceUnavailable, code: "hook_not_ready", result.message)
      case .refused: throw APIError(.conflict, code: "hook_refused", result.message)
      case .failed:
        throw APIError(.unprocessableContent, code: "hook_failed", "exit \(result.exitCode): \(result.message)")
      }
    }
    sandbox.get("hooks") { _, context -> HookHistory in
      HookHistory(history: try await manager.hookHistory(Self.sandboxID(context)).map(HookRun.init))
    }
    sandbox.get("services") { _, context -> ServiceList in
      ServiceList(services: try await manager.services(Self.sandboxID(context)).map(ServiceStatus.init))
    }
    sandbox.get("services/{name}/logs") { request, context -> Response in
      let tail = try QueryParameters(request).integer("tail", in: 0...(16 << 20), default: 65_536)
      let log = try await manager.serviceLogs(
        Self.sandboxID(context), name: context.parameters.require("name"), tailBytes: tail)
      return Response(
        status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(data: log)))
    }
  }
}

extension HookRun {
  init(_ record: HookRecord) {
    self.init(hook: record.hook, outcome: record.outcome.rawValue, at: record.at)
  }
}

extension ServiceStatus {
  init(_ service: ServiceState) {
    let state =
      switch service.phase {
      case .running: "running"
      case .backoff: "backoff"
      case .exited: "exited"
      }
    self.init(
      name: service.name, state: state, pid: service.pid.map(Int.init), restarts: service.restarts,
      lastExit: service.lastExit.map(Int.init), uid: Int(service.uid), gid: Int(service.gid))
  }
}
