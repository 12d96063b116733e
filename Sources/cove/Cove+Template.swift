import ArgumentParser
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

      func validate() throws {
        if from != nil, image != nil || startCmd != nil || readyCmd != nil {
          throw ValidationError("--from takes the sandbox as it is: no --image, --start-cmd or --ready-cmd")
        }
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
              name: name, image: image, cpus: cpus, memoryMiB: memory, startCmd: startCmd.map { ["sh", "-c", $0] },
              readyCmd: readyCmd.map { ["sh", "-c", $0] }))
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
