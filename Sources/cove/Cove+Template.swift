import ArgumentParser
import CoveAPIModels
import CoveClient
import Foundation

extension Cove {
  struct TemplateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "template", abstract: "Templates: snapshots of a ready VM that sandboxes are cloned from.",
      subcommands: [Create.self, List.self, Remove.self])

    struct Create: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "Boot a VM, start its service, wait until it is ready, and snapshot it.",
        discussion: """
          Commands are run with sh -c. With --from, the template is a snapshot of a \
          running sandbox as it stands (the sandbox carries on). Clone it with: \
          cove create --template NAME
          """)
      @OptionGroup var client: ClientOptions
      @Argument(help: "The template's name.") var name: String
      @Option(help: "Root filesystem image (default: the daemon's).") var image: String?
      @Option(help: "Virtual CPUs of it and its clones.") var cpus = 1
      @Option(help: "Guest memory in MiB of it and its clones.") var memory = 256
      @Option(help: "Started in the background before the snapshot; keeps running in clones.") var startCmd: String?
      @Option(help: "Run until it exits 0; the snapshot is taken then.") var readyCmd: String?
      @Option(help: "Snapshot this running sandbox instead of booting a VM.") var from: String?
      @Option(help: "Validate hook: must succeed each time a clone starts.") var validateCmd: String?
      @Option(help: "Run hook: once per clone, with its run payload on stdin.") var runCmd: String?
      @Option(help: "Suspend hook: before a clone is suspended (failing refuses it).") var suspendCmd: String?
      @Option(help: "Resume hook: after a clone is resumed from disk.") var resumeCmd: String?
      @Option(help: "Terminate hook: before a clone is stopped.") var terminateCmd: String?
      @Option(help: "Guest port for the HTTP hook contract (POST /aws/lambda-microvms/runtime/v1/HOOK).")
      var hookPort: Int?
      @Option(help: "A supervised service, NAME=COMMAND (repeatable); restarted when it fails.")
      var service: [String] = []
      @Option(help: "The user the services run as (default: root).") var serviceUser: String?

      var hooks: TemplateHooks {
        TemplateHooks(
          validate: validateCmd.map(Self.shell), run: runCmd.map(Self.shell), suspend: suspendCmd.map(Self.shell),
          resume: resumeCmd.map(Self.shell), terminate: terminateCmd.map(Self.shell), httpPort: hookPort)
      }

      static func shell(_ command: String) -> [String] { ["sh", "-c", command] }

      func services() throws -> [GuestService] {
        try service.map { text in
          guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw ValidationError("a service is NAME=COMMAND: \(text)")
          }
          return GuestService(
            name: String(text[..<equals]), cmd: Self.shell(String(text[text.index(after: equals)...])),
            user: serviceUser)
        }
      }

      func validate() throws {
        let booting =
          image != nil || startCmd != nil || readyCmd != nil || hooks != TemplateHooks() || !service.isEmpty
        if from != nil, booting {
          throw ValidationError("--from takes the sandbox as it is: no image, commands, hooks or services")
        }
        _ = try services()
      }

      func run() async throws {
        await talking {
          if let from {
            let template = try await client.client().createTemplate(from: from, name: name)
            if client.json { try client.printJSON(template) } else { print(template.name) }
            return
          }
          let template = try await client.client().createTemplate(
            Template(
              name: name, image: image, cpus: cpus, memoryMiB: memory, startCmd: startCmd.map(Self.shell),
              readyCmd: readyCmd.map(Self.shell), hooks: hooks, services: try services()))
          if client.json { try client.printJSON(template) } else { print(template.name) }
        }
      }
    }

    struct List: AsyncParsableCommand {
      static let configuration = CommandConfiguration(commandName: "ls", abstract: "List templates.")
      @OptionGroup var client: ClientOptions

      func run() async throws {
        await talking {
          let templates = try await client.client().templates()
          if client.json { return try client.printJSON(templates) }
          print(
            Table(
              ["NAME", "IMAGE", "CPUS", "MEMORY"],
              templates.map { [$0.name, $0.image, "\($0.cpus)", "\($0.memoryMiB) MiB"] }))
        }
      }
    }

    struct Remove: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Delete templates (refused while sandboxes cloned from one run).")
      @OptionGroup var client: ClientOptions
      @Argument(help: "The templates.") var names: [String]

      func run() async throws {
        await talking {
          for name in names { try await client.client().deleteTemplate(name) }
        }
      }
    }
  }
}
