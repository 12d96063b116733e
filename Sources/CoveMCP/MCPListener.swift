import CoveSandbox
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// `cove serve --mcp-listen`: MCP over HTTP on a listener of the daemon
/// (POST /mcp, the protocol's streamable HTTP in its stateless form). A
/// request needs one of the daemon's API keys as a bearer token, and each
/// tool call acts with that key through the daemon's API, so a key reaches
/// over MCP exactly what it reaches over the API.
public final class MCPListener: Sendable {
  private let host: String
  private let port: Int
  private let logger: Logger
  private let onListening: @Sendable (String) -> Void
  private let onFailure: @Sendable (any Error) -> Void
  private struct Running {
    var task: Task<Void, Never>?
    var group: ServiceGroup?
  }
  private let running = Mutex(Running())
  /// The daemon's API, once it listens.
  private let daemonURL = Mutex("")

  /// The largest JSON-RPC message taken (a file written through a tool is in it).
  static let bodyLimit = 16 << 20

  public init(
    host: String, port: Int, logger: Logger, onListening: @escaping @Sendable (String) -> Void = { _ in },
    onFailure: @escaping @Sendable (any Error) -> Void
  ) {
    (self.host, self.port, self.logger) = (host, port, logger)
    self.onListening = onListening
    self.onFailure = onFailure
  }

  /// Where the tools reach the daemon's API (its own listener, on loopback).
  public func daemonListens(at url: String) { daemonURL.withLock { $0 = url } }

  /// Serves MCP, checking keys against `keys`, until ``stop()``.
  public func start(keys: APIKeys) {
    let (host, port, logger) = (self.host, self.port, self.logger)
    let (onListening, onFailure) = (self.onListening, self.onFailure)
    let task = Task { [self] in
      do {
        let endpoint = try await MCPEndpoint.start { self.daemonURL.withLock { $0 } }
        let router = Router()
        for method in [HTTPRequest.Method.post, .get, .delete] {
          router.on("/mcp", method: method) { request, _ in
            try await Self.answer(request, endpoint: endpoint, keys: keys)
          }
        }
        let app = Application(
          router: router,
          configuration: .init(address: .hostname(host, port: port), serverName: "cove-mcp"),
          onServerRunning: { channel in onListening("http://\(host):\(channel.localAddress?.port ?? port)/mcp") },
          logger: logger)
        // A group of its own, without signal handlers (the daemon's group
        // has them), so that stop() can end it gracefully.
        let group = ServiceGroup(services: [app], logger: logger)
        self.running.withLock { $0.group = group }
        try await group.run()
        await endpoint.stop()
      } catch {
        logger.error("the MCP listener stopped", metadata: ["error": "\(error)"])
        onFailure(error)
      }
    }
    running.withLock { $0.task = task }
  }

  public func stop() async {
    let (task, group) = running.withLock { ($0.task, $0.group) }
    await group?.triggerGracefulShutdown()
    await task?.value
  }

  static func answer(_ request: Request, endpoint: MCPEndpoint, keys: APIKeys) async throws -> Response {
    let authorization = request.headers[.authorization] ?? ""
    guard authorization.hasPrefix("Bearer "),
      try await keys.verify(String(authorization.dropFirst("Bearer ".count))) != nil
    else {
      return plain(.unauthorized, "an API key is required: Authorization: Bearer <key> (see `cove keys create`)")
    }
    let body: ByteBuffer
    do {
      body = try await request.body.collect(upTo: bodyLimit)
    } catch {
      return plain(.contentTooLarge, "an MCP message is at most \(bodyLimit) bytes")
    }
    var headers: [String: String] = [:]
    for field in request.headers { headers[field.name.canonicalName] = field.value }
    let answer = await endpoint.handle(
      method: request.method.rawValue, headers: headers, body: body.readableBytes > 0 ? Data(buffer: body) : nil)
    var fields = HTTPFields()
    for (name, value) in answer.headers {
      if let name = HTTPField.Name(name) { fields[name] = value }
    }
    return Response(
      status: .init(code: answer.status), headers: fields,
      body: .init(byteBuffer: ByteBuffer(data: answer.body ?? Data())))
  }

  static func plain(_ status: HTTPResponse.Status, _ message: String) -> Response {
    Response(
      status: status, headers: [.contentType: "text/plain; charset=utf-8", .wwwAuthenticate: "Bearer"],
      body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
  }
}
