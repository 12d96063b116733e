import ArgumentParser
import CoveClient
import Foundation

/// Where the daemon is and the key to use: flags, then `COVE_URL` and
/// `COVE_API_KEY`, then `~/.config/cove/config.json` (`{"url": ..., "key": ...}`).
struct ClientOptions: ParsableArguments {
  @Option(help: "The daemon's address (default: http://127.0.0.1:8080).") var url: String?
  @Option(help: "API key (see `cove keys create`).") var key: String?
  @Flag(help: "Print JSON for scripts.") var json = false

  struct ConfigFile: Codable {
    var url: String?
    var key: String?
  }

  func client() -> CoveClient {
    let environment = ProcessInfo.processInfo.environment
    let configPath =
      environment["COVE_CONFIG"] ?? (environment["XDG_CONFIG_HOME"] ?? NSHomeDirectory() + "/.config")
      + "/cove/config.json"
    let file = FileManager.default.contents(atPath: configPath).flatMap {
      try? JSONDecoder().decode(ConfigFile.self, from: $0)
    }
    return CoveClient(
      baseURL: url ?? environment["COVE_URL"] ?? file?.url ?? "http://127.0.0.1:8080",
      key: key ?? environment["COVE_API_KEY"] ?? file?.key)
  }

  func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.dateEncodingStrategy = .iso8601
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
  }
}

/// Runs a client command, printing an API error as a sentence and exiting 1.
func talking(_ body: () async throws -> Void) async {
  do {
    try await body()
  } catch let error as ExitCode {
    Foundation.exit(error.rawValue)
  } catch {
    fail(error, code: 1)
  }
}

extension Cove {
  struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a sandbox in the daemon; prints its id.")
    @OptionGroup var client: ClientOptions
    @Option(help: "Root filesystem image.") var image: String?
    @Option(help: "Virtual CPUs.") var cpus: Int?
    @Option(help: "Guest memory in MiB.") var memory: Int?
    @Option(help: "Seconds until the sandbox is stopped.") var timeout: Int?
    @Option(name: .shortAndLong, help: "Environment variable, K=V (repeatable).") var env: [String] = []
    @Option(help: "Metadata, K=V (repeatable).") var metadata: [String] = []
    @Option(help: "Clone this template instead of booting an image.") var template: String?
    @Option(help: "Given to the run hook of a clone of a template with hooks.") var runPayload: String?

    func run() async throws {
      await talking {
        let sandbox = try await client.client().createSandbox(
          CreateSandbox(
            image: image, cpus: cpus, memoryMiB: memory, timeout: timeout, env: try pairs(env),
            metadata: try pairs(metadata), template: template, runPayload: runPayload))
        if client.json { try client.printJSON(sandbox) } else { print(sandbox.id) }
      }
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the daemon's sandboxes.")
    @OptionGroup var client: ClientOptions
    @Option(help: "Only sandboxes in this state.") var state: String?

    func run() async throws {
      await talking {
        let sandboxes = try await client.client().sandboxes(state: state)
        if client.json { return try client.printJSON(sandboxes) }
        print(
          Table(
            ["ID", "STATE", "IMAGE", "CPUS", "MEMORY", "EXPIRES"],
            sandboxes.map {
              [$0.id, $0.state.rawValue, $0.image, "\($0.cpus)", "\($0.memoryMiB) MiB", Table.format($0.expiresAt)]
            }))
      }
    }
  }

  struct Exec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run a command in a sandbox of the daemon, with live output; exits with its exit code.")
    @OptionGroup var client: ClientOptions
    @Option(name: .shortAndLong, help: "Environment variable, K=V (repeatable).") var env: [String] = []
    @Option(name: .shortAndLong, help: "Working directory.") var workdir: String?
    @Option(name: .shortAndLong, help: "User, by name or uid.") var user: String?
    @Option(help: "Kill the command after this many seconds.") var timeout: Int?
    @Argument(help: "The sandbox.") var sandbox: String
    @Argument(parsing: .captureForPassthrough, help: "The command, after --.") var command: [String] = []

    func run() async throws {
      let argv = command.first == "--" ? Array(command.dropFirst()) : command
      guard !argv.isEmpty else { throw ValidationError("give a command to run, after --") }
      await talking {
        let request = Command(argv, env: try pairs(env), cwd: workdir, user: user, timeout: timeout)
        if client.json {
          let result = try await client.client().exec(sandbox, request)
          try client.printJSON(result)
          throw ExitCode(result.exitCode)
        }
        let status = try await client.client().execStreaming(sandbox, request) { stream, data in
          (stream == .stdout ? FileHandle.standardOutput : FileHandle.standardError).write(data)
        }
        throw ExitCode(status.exitCode)
      }
    }
  }

  struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Stop and delete sandboxes.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "The sandboxes.") var sandboxes: [String]

    func run() async throws {
      await talking {
        for id in sandboxes { try await client.client().deleteSandbox(id) }
      }
    }
  }

  struct Pause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pause sandboxes in place (vCPUs stop; memory stays).")
    @OptionGroup var client: ClientOptions
    @Argument(help: "The sandboxes.") var sandboxes: [String]

    func run() async throws {
      await talking {
        for id in sandboxes { _ = try await client.client().pause(id) }
      }
    }
  }

  struct Suspend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Suspend sandboxes to disk (their VM ends; resume brings them back, also after a restart).")
    @OptionGroup var client: ClientOptions
    @Argument(help: "The sandboxes.") var sandboxes: [String]

    func run() async throws {
      await talking {
        for id in sandboxes { _ = try await client.client().suspend(id) }
      }
    }
  }

  struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Resume paused or suspended sandboxes.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "The sandboxes.") var sandboxes: [String]

    func run() async throws {
      await talking {
        for id in sandboxes { _ = try await client.client().resume(id) }
      }
    }
  }

  struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the end of a sandbox's console log.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "The sandbox.") var sandbox: String

    func run() async throws {
      await talking { print(try await client.client().logs(sandbox), terminator: "") }
    }
  }

  struct Copy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "cp", abstract: "Copy a file into or out of a sandbox: SANDBOX:PATH names a file in it.",
      discussion: "cove cp ./data.csv sb-123:/work/data.csv    cove cp sb-123:/work/out.txt ./out.txt")
    @OptionGroup var client: ClientOptions
    @Argument(help: "From.") var source: String
    @Argument(help: "To.") var destination: String

    func run() async throws {
      await talking {
        switch (Self.remote(source), Self.remote(destination)) {
        case (nil, let (id, path)?):
          try await client.client().upload(id, from: source, to: path)
        case (let (id, path)?, nil):
          try await client.client().download(id, from: path, to: destination)
        default:
          throw ValidationError("one side must be SANDBOX:/PATH and the other a local path")
        }
      }
    }

    static func remote(_ argument: String) -> (String, String)? {
      guard let colon = argument.firstIndex(of: ":"), argument[argument.index(after: colon)...].hasPrefix("/") else {
        return nil
      }
      return (String(argument[..<colon]), String(argument[argument.index(after: colon)...]))
    }
  }
}

/// K=V arguments as a dictionary; nil when there are none.
func pairs(_ arguments: [String]) throws -> [String: String]? {
  guard !arguments.isEmpty else { return nil }
  var result: [String: String] = [:]
  for pair in arguments {
    guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
      throw ValidationError("expected KEY=VALUE, not \(pair)")
    }
    result[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
  }
  return result
}
