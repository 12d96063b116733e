import CoveMachine
import CoveSandbox
import Foundation
import HTTPTypes
import Hummingbird

extension E2BService {
  func addControlPlaneRoutes(to router: Router<E2BRequestContext>) {
    let auth = APIKeyMiddleware(keys: keys)
    let v1 = router.group("sandboxes").add(middleware: auth)
    let v2 = router.group("v2/sandboxes").add(middleware: auth)

    // Create: v1 for SDKs up to 2.50.0, v2 since 2.51.0; the same body.
    v1.post { request, context in try await create(request, context) }
    v2.post { request, context in try await create(request, context) }

    v1.get { request, _ in
      // v1 lists running sandboxes only.
      let records = try await listed(request, states: ["running"])
      return ListResponse(elements: records.map(detail))
    }
    v2.get { request, _ in
      let query = request.uri.queryParameters
      let states = query["state"].map { $0.split(separator: ",").map(String.init) } ?? ["running", "paused"]
      for state in states where state != "running" && state != "paused" {
        throw E2BError.badRequest("state must be running or paused, not \(state)")
      }
      let records = try await listed(request, states: Set(states))
      let limit =
        try query["limit"].map { text in
          guard let limit = Int(text), (1...100).contains(limit) else {
            throw E2BError.badRequest("limit must be 1 to 100")
          }
          return limit
        } ?? 100
      // The token is the id of the first sandbox of the next page, in an
      // order that does not change: by creation, then id.
      var start = 0
      if let token = query["nextToken"], !token.isEmpty {
        guard let index = records.firstIndex(where: { $0.id == String(token) }) else {
          throw E2BError.badRequest("nextToken \(token) is not valid (its sandbox is gone)")
        }
        start = index
      }
      let page = Array(records[start..<min(records.count, start + limit)])
      var headers: HTTPFields = [:]
      if start + limit < records.count { headers[HTTPField.Name("x-next-token")!] = records[start + limit].id }
      return ListResponse(elements: page.map(detail), headers: headers)
    }

    v1.get("metrics") { request, _ -> SandboxMetricsBody in
      let ids = (request.uri.queryParameters["sandbox_ids"]).map { $0.split(separator: ",").map(String.init) } ?? []
      guard !ids.isEmpty, ids.count <= 100 else {
        throw E2BError.badRequest("sandbox_ids must name 1 to 100 sandboxes")
      }
      var sandboxes: [String: MetricBody] = [:]
      for id in ids {
        // A sandbox that is gone or not running has no metrics; E2B leaves it out.
        if let metric = try? await metric(id) { sandboxes[id] = metric }
      }
      return SandboxMetricsBody(sandboxes: sandboxes)
    }

    v1.get("{id}") { _, context -> SandboxDetailBody in
      let record = try await manager.get(try context.parameters.require("id"))
      guard record.state != .stopped, record.state != .error else {
        throw E2BError(.notFound, "sandbox \(record.id) is \(record.state.rawValue)")
      }
      return detail(record)
    }
    v1.delete("{id}") { _, context -> HTTPResponse.Status in
      let id = try context.parameters.require("id")
      try await manager.delete(id)
      autoPause.remove(id)
      return .noContent
    }
    v1.post("{id}/timeout") { request, context -> HTTPResponse.Status in
      let body = try await request.decode(as: TimeoutBody.self, context: context)
      try await setTimeout(try context.parameters.require("id"), seconds: body.timeout)
      return .noContent
    }
    v1.post("{id}/refreshes") { request, context -> HTTPResponse.Status in
      let body = try await request.decode(as: RefreshBody.self, context: context)
      try await setTimeout(try context.parameters.require("id"), seconds: body.duration ?? 60)
      return .noContent
    }
    v1.post("{id}/pause") { _, context -> HTTPResponse.Status in
      let id = try context.parameters.require("id")
      let record = try await manager.get(id)
      // E2B's pause frees the sandbox's CPU and memory and survives a
      // restart: Cove's suspend. A sandbox already paused is 409 (the SDK
      // then answers False).
      guard record.state == .running else {
        throw E2BError(.conflict, "sandbox \(id) is \(e2bState(record.state) ?? record.state.rawValue), not running")
      }
      _ = try await manager.suspend(id)
      return .noContent
    }
    v1.post("{id}/resume") { request, context in
      let id = try context.parameters.require("id")
      let record = try await manager.get(id)
      guard record.state == .suspended || record.state == .paused else {
        throw E2BError(.conflict, "sandbox \(id) is \(record.state.rawValue), not paused")
      }
      return try await connect(request, context)
    }
    v1.post("{id}/connect") { request, context in try await connect(request, context) }
    v2.post("{id}/connect") { request, context in try await connect(request, context) }

    // A snapshot is a Cove template of the sandbox as it stands (which
    // carries on); Sandbox.create(template=snapshotID) clones it.
    v1.post("{id}/snapshots") { request, context -> EditedResponse<SnapshotBody> in
      let id = try context.parameters.require("id")
      let body = try await request.decode(as: SnapshotRequestBody.self, context: context)
      let name = body.name ?? "snapshot-" + UUID().uuidString.lowercased().prefix(8)
      let template = try await manager.createTemplate(from: id, name: name)
      return EditedResponse(status: .created, response: SnapshotBody(snapshotID: template.name, names: [template.name]))
    }
    router.group("snapshots").add(middleware: auth).get { request, _ -> ListResponse<SnapshotBody> in
      let name = request.uri.queryParameters["name"].map(String.init)
      let templates = try await manager.templates().filter { name == nil || $0.name == name }
      return ListResponse(elements: templates.map { SnapshotBody(snapshotID: $0.name, names: [$0.name]) })
    }

    v1.get("{id}/metrics") { _, context -> ListResponse<MetricBody> in
      ListResponse(elements: [try await metric(try context.parameters.require("id"))])
    }
    v1.get("{id}/logs") { _, context -> LogsBody in
      let lines = try await logLines(try context.parameters.require("id"))
      return LogsBody(
        logs: lines.map { LogLineBody(timestamp: $0.timestamp, line: $0.message) }, logEntries: lines)
    }
    v2.get("{id}/logs") { _, context -> LogsV2Body in
      LogsV2Body(logs: try await logLines(try context.parameters.require("id")))
    }
  }

  /// Creates a sandbox: `templateID` names a Cove template (a clone of its
  /// snapshot) or an image; `base`, E2B's default, is the daemon's default image.
  func create(_ request: Request, _ context: E2BRequestContext) async throws -> EditedResponse<SandboxBody> {
    let body = try await request.decode(as: NewSandboxBody.self, context: context)
    if body.allowInternetAccess == false {
      throw E2BError.badRequest("allow_internet_access=false is not supported by Cove's E2B API yet")
    }
    if let mounts = body.volumeMounts, !mounts.isEmpty {
      throw E2BError.badRequest("volume mounts are not supported by Cove")
    }
    let timeout = body.timeout ?? 300
    let pauses = body.autoPause == true
    // An auto-pausing sandbox is paused at `timeout`; the manager ends it
    // only if that pause did not happen (AutoPause).
    var sandbox = SandboxRequest(
      timeout: pauses ? min(timeout + AutoPause.grace, manager.configuration.maxTimeout) : timeout,
      env: body.envVars ?? [:], metadata: body.metadata ?? [:])
    let name = body.templateID
    if name != "base" {
      if (try? await manager.template(name)) != nil { sandbox.template = name } else { sandbox.image = name }
    }
    let record = try await manager.create(sandbox)
    if pauses { autoPause.set(record.id, deadline: Date().addingTimeInterval(TimeInterval(timeout))) }
    return EditedResponse(status: .created, response: sandboxBody(record))
  }

  /// Connects to a sandbox: resumes a paused one (201) and sets the
  /// timeout from now when one is given (200 for one that was running).
  func connect(_ request: Request, _ context: E2BRequestContext) async throws -> EditedResponse<SandboxBody> {
    let id = try context.parameters.require("id")
    let body = try await request.decode(as: ConnectBody.self, context: context)
    var record = try await manager.get(id)
    var status = HTTPResponse.Status.ok
    switch record.state {
    case .running: break
    case .paused, .suspended:
      record = try await manager.resume(id)
      status = .created
    default:
      throw E2BError(.notFound, "sandbox \(id) is \(record.state.rawValue)")
    }
    if let timeout = body.timeout ?? (autoPause.contains(id) ? 300 : nil) {
      record = try await setTimeout(id, seconds: timeout)
    }
    return EditedResponse(status: status, response: sandboxBody(record))
  }

  /// The live sandboxes in `states` (E2B's names), filtered by the
  /// `metadata` query (`k=v&k2=v2`, URL-encoded once more), oldest first.
  func listed(_ request: Request, states: Set<String>) async throws -> [SandboxRecord] {
    var wanted: [String: String] = [:]
    if let query = request.uri.queryParameters["metadata"], !query.isEmpty {
      for pair in query.split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
        guard parts.count == 2 else { throw E2BError.badRequest("metadata must be key=value pairs joined by &") }
        wanted[parts[0]] = parts[1]
      }
    }
    return try await manager.list(metadata: wanted)
      .filter { record in e2bState(record.state).map(states.contains) ?? false }
      .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
  }

  func sandboxBody(_ record: SandboxRecord) -> SandboxBody {
    SandboxBody(
      templateID: record.template ?? record.image, sandboxID: record.id, alias: record.template ?? record.image,
      clientID: "cove", envdVersion: Self.envdVersion, envdAccessToken: tokens.envd(record.id),
      trafficAccessToken: tokens.traffic(record.id), domain: domain)
  }

  func detail(_ record: SandboxRecord) -> SandboxDetailBody {
    let diskBytes = (try? FileManager.default.attributesOfItem(atPath: record.rootImage)[.size] as? Int) ?? 0
    return SandboxDetailBody(
      templateID: record.template ?? record.image, sandboxID: record.id, alias: record.template ?? record.image,
      clientID: "cove", startedAt: record.createdAt, endAt: autoPause.deadline(record.id) ?? record.expiresAt,
      envdVersion: Self.envdVersion,
      cpuCount: record.cpus, memoryMB: record.memoryMiB, diskSizeMB: diskBytes >> 20,
      state: e2bState(record.state) ?? "running", metadata: record.metadata, envdAccessToken: tokens.envd(record.id),
      domain: domain)
  }

  func metric(_ id: String) async throws -> MetricBody {
    let metrics = try await manager.guest(id, for: "metrics").metrics(diskPath: "/")
    let now = Date()
    let used = metrics.memoryTotalBytes - min(metrics.memoryTotalBytes, metrics.memoryAvailableBytes)
    return MetricBody(
      timestamp: now, timestampUnix: Int(now.timeIntervalSince1970), cpuCount: metrics.cpuCount,
      // The 1-minute load over the CPUs: the agent reports no shorter sample.
      cpuUsedPct: min(100, metrics.load1m / Double(max(1, metrics.cpuCount)) * 100),
      memUsed: used, memTotal: metrics.memoryTotalBytes, memCache: 0,
      diskUsed: metrics.diskTotalBytes - min(metrics.diskTotalBytes, metrics.diskFreeBytes),
      diskTotal: metrics.diskTotalBytes)
  }

  /// The guest console's lines, as E2B's log entries.
  func logLines(_ id: String) async throws -> [LogEntryBody] {
    let record = try await manager.get(id)
    let text = try await manager.consoleLog(id)
    return text.split(separator: "\n").map {
      LogEntryBody(timestamp: record.createdAt, message: String($0), level: "info", fields: [:])
    }
  }
}

/// E2B's name of a state, or nil for a sandbox E2B would not show.
func e2bState(_ state: SandboxState) -> String? {
  switch state {
  case .queued, .starting, .running, .snapshotting: "running"
  case .paused, .suspended: "paused"
  case .stopping, .stopped, .error: nil
  }
}

/// The control plane needs one of Cove's API keys in `X-API-KEY`.
struct APIKeyMiddleware: RouterMiddleware {
  typealias Context = E2BRequestContext
  let keys: APIKeys

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    guard let key = request.headers[HTTPField.Name("X-API-KEY")!], !key.isEmpty else {
      throw E2BError(.unauthorized, "an API key is required in X-API-KEY (make one with `cove keys create`)")
    }
    guard try await keys.verify(key) != nil else { throw E2BError(.unauthorized, "the API key is not valid") }
    return try await next(request, context)
  }
}
