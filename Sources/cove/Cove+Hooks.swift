import ArgumentParser
import CoveClient
import Foundation

extension Cove {
  struct Hook: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Run a lifecycle hook in a sandbox and print its output.",
      discussion: "Hooks: ready, validate, run, suspend, resume, terminate. Without a hook, list the ones that ran.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "The sandbox.") var sandbox: String
    @Argument(help: "The hook.") var hook: String?
    @Option(help: "Given to the hook's command on stdin.") var payload: String?

    func run() async throws {
      await talking {
        guard let hook else {
          let history = try await client.client().hookHistory(sandbox)
          if client.json { return try client.printJSON(history) }
          let formatter = ISO8601DateFormatter()
          print(
            Table(["HOOK", "OUTCOME", "AT"], history.map { [$0.hook, $0.outcome, formatter.string(from: $0.at)] }))
          return
        }
        let output = try await client.client().invokeHook(sandbox, hook: hook, payload: Data((payload ?? "").utf8))
        FileHandle.standardOutput.write(output)
      }
    }
  }

  struct ServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "service", abstract: "A sandbox's supervised services.", subcommands: [List.self, Logs.self])

    struct List: AsyncParsableCommand {
      static let configuration = CommandConfiguration(commandName: "ls", abstract: "List a sandbox's services.")
      @OptionGroup var client: ClientOptions
      @Argument(help: "The sandbox.") var sandbox: String

      func run() async throws {
        await talking {
          let services = try await client.client().services(sandbox)
          if client.json { return try client.printJSON(services) }
          print(
            Table(
              ["NAME", "STATE", "PID", "RESTARTS", "UID"],
              services.map { [$0.name, $0.state, $0.pid.map(String.init) ?? "-", "\($0.restarts)", "\($0.uid)"] }))
        }
      }
    }

    struct Logs: AsyncParsableCommand {
      static let configuration = CommandConfiguration(abstract: "Print the end of a service's log.")
      @OptionGroup var client: ClientOptions
      @Argument(help: "The sandbox.") var sandbox: String
      @Argument(help: "The service.") var service: String

      func run() async throws {
        await talking { print(try await client.client().serviceLogs(sandbox, service: service), terminator: "") }
      }
    }
  }
}
