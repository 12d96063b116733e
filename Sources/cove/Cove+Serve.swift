import ArgumentParser
import CoveE2B
import CoveImages
import CoveMCP
import CoveMachine
import CoveSandbox
import CoveServer
import Foundation
import Logging
import Metrics
import Prometheus

extension Cove {
  struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run the sandbox service: the HTTP API, its database and its sandboxes.",
      discussion: """
        Stops on SIGINT or SIGTERM, and stops its sandboxes then unless --keep-sandboxes. Killed \
        (-9), it takes its running sandboxes over when started again.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one).") var listen = "127.0.0.1:8080"
    @Option(help: "Directory for the database (default: $COVE_HOME).") var data: String?
    @Option(help: "Most sandboxes at once.") var maxSandboxes = 16
    @Option(help: "Most templates kept (each holds its guest memory on disk).") var maxTemplates = 16
    @Option(help: "The image of sandboxes whose request names none.") var defaultImage = "debian"
    @Option(help: "Guest memory all sandboxes may have together, MiB (default: half the host's).")
    var memoryBudget: Int?
    @Option(
      help: "Seconds to wait for a new sandbox's agent from its boot turn (a stuck guest is caught sooner)."
    )
    var bootTimeout: Double = 300
    @Flag(help: "Leave sandboxes running at exit, for the next `cove serve` to take over.")
    var keepSandboxes = false
    @Option(help: "Also serve E2B's API (control plane and envd) for the E2B SDK, on HOST:PORT.")
    var e2bListen: String?
    @Option(help: "The domain E2B's SDK is given for {port}-{id}.{domain} hosts (default: localhost:PORT).")
    var e2bDomain: String?
    @Option(help: "Also serve MCP over HTTP (POST /mcp, with an API key) on HOST:PORT.")
    var mcpListen: String?

    func validate() throws {
      guard Self.parse(listen) != nil else { throw ValidationError("--listen takes HOST:PORT") }
      if let e2bListen, Self.parse(e2bListen) == nil { throw ValidationError("--e2b-listen takes HOST:PORT") }
      if let mcpListen, Self.parse(mcpListen) == nil { throw ValidationError("--mcp-listen takes HOST:PORT") }
      guard maxSandboxes >= 1 else { throw ValidationError("--max-sandboxes must be at least 1") }
    }

    static func parse(_ address: String) -> (host: String, port: Int)? {
      guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
        (0...65535).contains(port)
      else { return nil }
      let host = String(address[..<colon])
      return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    func run() async throws {
      global.bootstrapLogging()
      let registry = PrometheusCollectorRegistry()
      MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
      let logger = Logger(label: "cove.serve")
      let home = CoveHome()
      var options = ServerOptions(dataDirectory: data ?? home.root)
      if let (host, port) = Self.parse(listen) { (options.host, options.port) = (host, port) }
      options.keepSandboxes = keepSandboxes
      options.manager.maxSandboxes = maxSandboxes
      options.manager.maxTemplates = maxTemplates
      options.manager.defaultImage = defaultImage
      if let memoryBudget { options.manager.memoryBudgetMiB = memoryBudget }
      options.manager.bootTimeout = .milliseconds(Int(bootTimeout * 1000))
      let e2b = e2bListener(dataDirectory: options.dataDirectory, logger: logger)
      let mcp = mcpListener(logger: logger)
      options.manager.onRecovered = { manager in
        e2b?.start(manager: manager)
        mcp?.start(keys: APIKeys(store: manager.store))
      }
      // A daemon that cannot boot guests would answer every create with an
      // error that is not the client's fault: refuse to listen instead.
      await HostCheck.cli(
        home: home, runDirectory: options.manager.runDirectory, image: defaultImage, accel: nil
      ).requireReady(for: .serve, code: 1)
      do {
        try await CoveServer.run(
          options: options, assets: GuestAssets(home: home, logger: logger), registry: registry, logger: logger
        ) { url in
          mcp?.daemonListens(at: url)
          FileHandle.standardOutput.write(Data("cove: listening on \(url)\n".utf8))
        }
      } catch {
        await e2b?.stop()
        await mcp?.stop()
        fail(error, code: 1)
      }
      await e2b?.stop()
      await mcp?.stop()
    }

    /// The MCP listener of --mcp-listen; a port it cannot take ends the daemon.
    func mcpListener(logger: Logger) -> MCPListener? {
      guard let mcpListen, let (host, port) = Self.parse(mcpListen) else { return nil }
      return MCPListener(
        host: host, port: port, logger: logger,
        onListening: { url in FileHandle.standardOutput.write(Data("cove: MCP on \(url)\n".utf8)) },
        onFailure: { error in fail(Message("the MCP listener on \(mcpListen) failed: \(error)"), code: 1) })
    }

    /// The E2B listener of --e2b-listen; a port it cannot take ends the daemon.
    func e2bListener(dataDirectory: String, logger: Logger) -> E2BListener? {
      guard let e2bListen, let (host, port) = Self.parse(e2bListen) else { return nil }
      var options = E2BOptions(dataDirectory: dataDirectory)
      (options.host, options.port, options.domain) = (host, port, e2bDomain)
      return E2BListener(
        options: options, logger: logger,
        onListening: { url in FileHandle.standardOutput.write(Data("cove: E2B API on \(url)\n".utf8)) },
        onFailure: { error in fail(Message("the E2B listener on \(e2bListen) failed: \(error)"), code: 1) })
    }
  }

  struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "keys", abstract: "Manage the API keys of `cove serve` (on its data directory).",
      subcommands: [Create.self, List.self, Remove.self])

    struct Location: ParsableArguments {
      @Option(help: "The daemon's data directory (default: $COVE_HOME).") var data: String?

      func keys() throws -> APIKeys {
        let directory = data ?? CoveHome().root
        try FileManager.default.createDirectory(
          atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return APIKeys(store: try SandboxStore(path: CoveServer.databasePath(data: directory)))
      }
    }

    struct Create: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "Make an API key; it is printed once, alone on the last line.")
      @OptionGroup var location: Location
      @Option(help: "A name to remember it by.") var name = "default"

      func run() async throws {
        let (key, record) = try await location.keys().create(name: name)
        print("created key \(record.id) (\(record.name)); keep it, it is not shown again:")
        print(key)
      }
    }

    struct List: AsyncParsableCommand {
      static let configuration = CommandConfiguration(commandName: "ls", abstract: "List API keys (not the keys).")
      @OptionGroup var location: Location

      func run() async throws {
        let keys = try await location.keys().store.keys()
        print(Table(["ID", "NAME", "CREATED"], keys.map { [$0.id, $0.name, Table.format($0.createdAt)] }))
      }
    }

    struct Remove: AsyncParsableCommand {
      static let configuration = CommandConfiguration(commandName: "rm", abstract: "Revoke an API key by its id.")
      @OptionGroup var location: Location
      @Argument var id: String

      func run() async throws {
        guard try await location.keys().store.delete(key: id) else { fail(Message("no key \(id)"), code: 1) }
      }
    }
  }
}
