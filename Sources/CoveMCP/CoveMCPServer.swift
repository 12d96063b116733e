import Foundation
import MCP

/// An MCP server offering ``SandboxTools``.
public enum CoveMCPServer {
  /// The server's name and version as MCP clients see them.
  public static let name = "cove"
  public static let version = "0.1.0"

  /// A server whose tools act through `tools`.
  public static func make(tools: SandboxTools) async -> Server {
    await make { _ in tools }
  }

  /// A server whose tools, for each call, act through `tools(key)`, `key`
  /// being the bearer token of the HTTP request that carried the call (nil
  /// over stdio, or when the request had none).
  static func make(tools: @escaping @Sendable (String?) -> SandboxTools) async -> Server {
    let server = Server(
      name: name, version: version, title: "Cove sandboxes",
      instructions:
        "Each sandbox is a disposable Linux microVM. Create one, run commands and edit files in it, and kill it "
        + "when done; it is deleted by itself after its timeout.",
      capabilities: .init(tools: .init(listChanged: false)))
    await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: SandboxTools.definitions) }
    await server.withMethodHandler(CallTool.self) { call in
      let authorization = Server.currentHandlerContext?.httpContext?.header("Authorization")
      let key = authorization.flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
      return await tools(key).call(call.name, call.arguments ?? [:])
    }
    return server
  }

  /// Serves MCP on standard input and output until the client closes them.
  public static func serveStandardIO(tools: SandboxTools) async throws {
    let server = await make(tools: tools)
    try await server.start(transport: StdioTransport())
    await server.waitUntilCompleted()
  }
}
