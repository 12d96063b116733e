import CoveClient
import Foundation
import MCP

/// MCP over HTTP on the daemon's own listener (POST /mcp, the protocol's
/// streamable HTTP in its stateless form: one JSON answer a request, no
/// session). Each tool call acts with the API key of the HTTP request that
/// carried it, through the daemon's API on loopback, so a key reaches over
/// MCP exactly what it reaches over the API.
public final class MCPEndpoint: Sendable {
  private let server: Server
  private let transport: StatelessHTTPServerTransport

  private init(server: Server, transport: StatelessHTTPServerTransport) {
    self.server = server
    self.transport = transport
  }

  /// An endpoint whose tools call the daemon at `daemonURL` (known once it listens).
  public static func start(daemonURL: @escaping @Sendable () -> String) async throws -> MCPEndpoint {
    let server = await CoveMCPServer.make { key in
      SandboxTools(client: CoveClient(baseURL: daemonURL(), key: key))
    }
    let transport = StatelessHTTPServerTransport()
    try await server.start(transport: transport)
    return MCPEndpoint(server: server, transport: transport)
  }

  /// Answers one HTTP request to the endpoint.
  public func handle(method: String, headers: [String: String], body: Data?) async -> (
    status: Int, headers: [String: String], body: Data?
  ) {
    let response = await transport.handleRequest(HTTPRequest(method: method, headers: headers, body: body))
    return (response.statusCode, response.headers, response.bodyData)
  }

  public func stop() async { await server.stop() }
}
