import ArgumentParser
import CoveImages
import Foundation

extension Cove {
  struct ImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "image", abstract: "Pull, import, build, list, inspect and remove root filesystem images.",
      subcommands: [List.self, Pull.self, Import.self, Build.self, Inspect.self, Remove.self])

    struct List: AsyncParsableCommand {
      static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the images.")
      @OptionGroup var global: GlobalOptions
      @Flag(help: "Print JSON.") var json = false

      func run() async throws {
        global.bootstrapLogging()
        let images = ImageStore(home: CoveHome()).list()
        if json {
          let encoder = JSONEncoder()
          encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
          encoder.dateEncodingStrategy = .iso8601
          print(String(decoding: try encoder.encode(images), as: UTF8.self))
          return
        }
        print("NAME".padding(toLength: 16, withPad: " ", startingAt: 0) + "SIZE      SOURCE")
        for image in images {
          let size = "\(image.sizeBytes >> 20) MiB"
          print(
            image.name.padding(toLength: 16, withPad: " ", startingAt: 0)
              + size.padding(toLength: 10, withPad: " ", startingAt: 0) + image.source)
        }
      }
    }

    struct Build: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "Build an image: busybox or debian, or any name --from a directory.")
      @OptionGroup var global: GlobalOptions
      @Argument(help: "The image name.") var name: String
      @Option(help: "Make the image from this directory's contents.") var from: String?
      @Flag(help: "Replace an image of the same name.") var replace = false

      func run() async throws {
        global.bootstrapLogging()
        let store = ImageStore(home: CoveHome())
        do {
          let image =
            if let from {
              try await store.build(named: name, fromDirectory: from, replacing: replace)
            } else {
              try await store.buildBuiltin(named: name, replacing: replace)
            }
          print("\(image.name): \(image.sizeBytes >> 20) MiB at \(image.path)")
        } catch { fail(error, code: 1) }
      }
    }

    struct Remove: AsyncParsableCommand {
      static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove images.")
      @OptionGroup var global: GlobalOptions
      @Argument(help: "Image names.") var names: [String]

      func run() async throws {
        global.bootstrapLogging()
        let store = ImageStore(home: CoveHome())
        for name in names {
          do { try store.remove(named: name) } catch { fail(error, code: 1) }
        }
      }
    }
  }

  struct KernelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "kernel", abstract: "Fetch or show the guest kernel.",
      subcommands: [Fetch.self, Show.self])

    struct Fetch: AsyncParsableCommand {
      static let configuration = CommandConfiguration(abstract: "Download the distribution's cloud kernel.")
      @OptionGroup var global: GlobalOptions
      func run() async throws {
        global.bootstrapLogging()
        do {
          let kernel = try await KernelStore(home: CoveHome()).fetch()
          print("\(kernel.release): \(kernel.vmlinuz) (sha256 \(kernel.vmlinuzSHA256))")
        } catch { fail(error, code: 1) }
      }
    }

    struct Show: AsyncParsableCommand {
      static let configuration = CommandConfiguration(abstract: "Print the cached kernel.")
      func run() async throws {
        guard let kernel = KernelStore(home: CoveHome()).cached() else {
          fail(Message("no kernel fetched yet; run: cove kernel fetch"), code: 1)
        }
        print("release: \(kernel.release)\nsource:  \(kernel.source)\nvmlinuz: \(kernel.vmlinuz)")
        print(
          "sha256:  \(kernel.vmlinuzSHA256)\nmodules: \(kernel.modules.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: " "))"
        )
      }
    }
  }
}
