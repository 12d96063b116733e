import CoveAgentProto
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
    sandbox.get("hooks") { _, context -> HookHistoryBody in
      HookHistoryBody(history: try await manager.hookHistory(Self.sandboxID(context)).map(HookRecordBody.init))
    }
    sandbox.get("services") { _, context -> ServiceListBody in
      ServiceListBody(services: try await manager.services(Self.sandboxID(context)).map(ServiceStatusBody.init))
    }
    sandbox.get("services/{name}/logs") { request, context -> Response in
      let tail = request.uri.queryParameters["tail"].flatMap { Int($0) } ?? 65_536
      let log = try await manager.serviceLogs(
        Self.sandboxID(context), name: context.parameters.require("name"), tailBytes: tail)
      return Response(
        status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(data: log)))
    }
  }
}

struct HookRecordBody: Encodable {
  var hook: String
  var outcome: String
  var at: Date

  init(_ record: HookRecord) {
    hook = record.hook
    outcome = record.outcome.rawValue
    at = record.at
  }
}

struct HookHistoryBody: ResponseEncodable {
  var history: [HookRecordBody]
}

struct ServiceStatusBody: Encodable {
  var name: String
  var state: String
  var pid: UInt32?
  var restarts: UInt32
  var lastExit: Int32?
  var uid: UInt32
  var gid: UInt32

  enum CodingKeys: String, CodingKey {
    case name, state, pid, restarts, uid, gid
    case lastExit = "last_exit"
  }

  init(_ status: Cove_Agent_V1_ServiceStatus) {
    name = status.name
    state =
      switch status.state {
      case .running: "running"
      case .backoff: "backoff"
      default: "exited"
      }
    pid = status.pid == 0 ? nil : status.pid
    restarts = status.restarts
    lastExit = status.lastExit < 0 ? nil : status.lastExit
    uid = status.uid
    gid = status.gid
  }
}

struct ServiceListBody: ResponseEncodable {
  var services: [ServiceStatusBody]
}
