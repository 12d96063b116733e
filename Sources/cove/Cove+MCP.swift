import ArgumentParser
import CoveMCP

extension Cove {
  struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "mcp",
      abstract: "Serve the Model Context Protocol on standard input and output, over a running daemon.",
      discussion: """
        For AI tools that start an MCP server as a program: its tools create sandboxes in the daemon \
        that --url (or COVE_URL) names, run commands, read, write and list files, and delete sandboxes, \
        with the key of --key (or COVE_API_KEY).
        """)
    @OptionGroup var client: ClientOptions

    func run() async throws {
      try await CoveMCPServer.serveStandardIO(tools: SandboxTools(client: client.client()))
    }
  }
}
