import CoveMachine
import CoveSandbox
import Foundation
import HTTPTypes
import Hummingbird

/// Who an envd request is for: the sandbox (by the `E2b-Sandbox-Id` and
/// `E2b-Sandbox-Port` headers, or a `{port}-{id}.{domain}` host name), its
/// guest, and the user the SDK named in `Authorization: Basic`.
struct EnvdCall: Sendable {
  let sandboxID: String
  let guest: any GuestAgent
  /// Nil for the guest's default (root).
  let user: String?

  /// `path` made absolute against the user's home.
  func resolve(_ path: String) -> String { Self.resolve(path, user: user) }

  /// `path` made absolute against `user`'s home (root's for nil), as
  /// envd resolves relative paths.
  static func resolve(_ path: String, user: String?) -> String {
    let home = user == nil || user == "root" ? "/root" : "/home/\(user ?? "")"
    if path.hasPrefix("/") { return path }
    if path.isEmpty || path == "~" { return home }
    if path.hasPrefix("~/") { return home + path.dropFirst() }
    return home + "/" + path
  }
}

/// The sandbox and port an envd request names.
struct EnvdTarget: Equatable {
  var sandboxID: String
  var port: Int

  static let idHeader = HTTPField.Name("E2b-Sandbox-Id")!
  static let portHeader = HTTPField.Name("E2b-Sandbox-Port")!
  static let tokenHeader = HTTPField.Name("X-Access-Token")!

  init(sandboxID: String, port: Int) {
    self.sandboxID = sandboxID
    self.port = port
  }

  /// From the headers the SDK sends when `E2B_SANDBOX_URL` is set, else
  /// from a host name `{port}-{id}.{domain}`; nil when neither names one.
  init?(headers: HTTPFields, host: String?) {
    if let id = headers[Self.idHeader], !id.isEmpty {
      sandboxID = id
      port = headers[Self.portHeader].flatMap { Int($0) } ?? E2BService.envdPort
      return
    }
    guard let host, let label = host.split(separator: ".", maxSplits: 1).first,
      let dash = label.firstIndex(of: "-"), let port = Int(label[..<dash]),
      label.index(after: dash) < label.endIndex
    else { return nil }
    self.port = port
    sandboxID = String(label[label.index(after: dash)...])
  }
}

extension E2BService {
  /// Checks an envd request and finds its sandbox's guest. Refusals are
  /// plain JSON errors with E2B's proxy's statuses: 401 for a wrong token,
  /// 502 "... was not found" for a sandbox that is gone (the SDK reads that
  /// message as "the sandbox is not running").
  func envdCall(_ request: Request) async throws -> EnvdCall {
    guard let target = EnvdTarget(headers: request.headers, host: request.head.authority)
    else {
      throw E2BError.badRequest("no sandbox named: send E2b-Sandbox-Id, or use a {port}-{sandboxID}.{domain} host")
    }
    guard target.port == Self.envdPort else {
      throw E2BError(
        .badGateway,
        "port \(target.port) of sandbox \(target.sandboxID) cannot be reached: Cove forwards only envd's port, "
          + "\(Self.envdPort), so far")
    }
    guard let token = request.headers[EnvdTarget.tokenHeader], tokens.verifyEnvd(token, for: target.sandboxID)
    else {
      throw E2BError(.unauthorized, "the X-Access-Token header is missing or not sandbox \(target.sandboxID)'s token")
    }
    let record: SandboxRecord
    do {
      record = try await manager.get(target.sandboxID)
    } catch SandboxError.notFound {
      throw E2BError(.badGateway, "The sandbox \(target.sandboxID) was not found")
    }
    switch record.state {
    case .running: break
    case .paused, .suspended:
      throw E2BError(.badGateway, "sandbox \(record.id) is paused: resume it with Sandbox.connect")
    case .stopping, .stopped, .error:
      throw E2BError(.badGateway, "The sandbox \(record.id) was not found (it is \(record.state.rawValue))")
    case .queued, .starting, .snapshotting:
      throw E2BError(.badGateway, "sandbox \(record.id) is \(record.state.rawValue); its envd port is not open yet")
    }
    let guest = try await manager.guest(record.id, for: "envd")
    return EnvdCall(sandboxID: record.id, guest: guest, user: try Self.user(request))
  }

  /// The user of `Authorization: Basic base64("user:")`; nil without one.
  static func user(_ request: Request) throws -> String? {
    guard let header = request.headers[.authorization] else { return nil }
    let parts = header.split(separator: " ", maxSplits: 1)
    guard parts.count == 2, parts[0].lowercased() == "basic", let data = Data(base64Encoded: String(parts[1])) else {
      throw E2BError(.unauthorized, "Authorization must be Basic base64(user:)")
    }
    let user =
      String(decoding: data, as: UTF8.self).split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
      .first.map(String.init) ?? ""
    return user.isEmpty ? nil : user
  }
}

/// A request for a sandbox's own port by host name (`{port}-{id}.{domain}`,
/// what the SDK's `get_host(port)` gives) is answered here whatever its
/// path: forwarding it needs the sandbox network's ingress, which Cove
/// does not have yet. envd's port goes on to the routes.
struct SandboxPortMiddleware: RouterMiddleware {
  typealias Context = E2BRequestContext

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    if request.headers[EnvdTarget.idHeader] == nil,
      let target = EnvdTarget(headers: [:], host: request.head.authority), target.port != E2BService.envdPort
    {
      throw E2BError(
        .badGateway,
        "port \(target.port) of sandbox \(target.sandboxID) cannot be reached: Cove forwards only envd's port, "
          + "\(E2BService.envdPort), so far")
    }
    return try await next(request, context)
  }
}
