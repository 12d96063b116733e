import ArgumentParser
import CoveImages
import CoveOCI
import CoveRules
import Foundation

extension Cove.ImageCommand {
  struct Pull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Pull an OCI image from a registry and make it a root filesystem image.",
      discussion: """
        REF is [REGISTRY/]REPOSITORY[:TAG][@DIGEST]; a name without a registry is Docker Hub's. \
        Credentials come from --username/--password or ~/.docker/config.json. Layers are kept in \
        one cache under $COVE_HOME/blobs, so an image sharing a base with another fetches only what is new.
        """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The image reference.") var reference: String
    @Option(help: "The image name in Cove (default: the repository's last part, plus -TAG unless latest).")
    var name: String?
    @Flag(help: "Speak plain HTTP to the registry.") var insecure = false
    @Option(help: "User name for the registry.") var username: String?
    @Flag(help: "Read the registry password from standard input.") var passwordStdin = false
    @Option(help: "Refuse a layer larger than this many MiB.") var maxLayerSize: Int64 = 16384
    @Flag(help: "Replace an image of the same name.") var replace = false

    func run() async throws {
      global.bootstrapLogging()
      let store = ImageStore(home: CoveHome())
      let display = PullProgressDisplay()
      do {
        let parsed = try ImageReference(parsing: reference)
        var explicit: [String: RegistryCredential] = [:]
        if let username {
          guard passwordStdin else { throw ValidationError("--username needs --password-stdin") }
          let password = readLine(strippingNewline: true) ?? ""
          explicit[parsed.registry] = RegistryCredential(username: username, password: password)
        }
        let options = RegistryClient.Options(
          insecure: insecure, maxBlobSize: maxLayerSize << 20, credentials: RegistryCredentials(explicit: explicit))
        let started = ContinuousClock.now
        let name = name ?? ImageStore.defaultName(for: parsed)
        let image = try await interruptible {
          try await store.pull(parsed, named: name, options: options, replacing: replace, progress: display.handler)
        }
        display.finish()
        let seconds =
          Double((ContinuousClock.now - started).components.attoseconds) / 1e18
          + Double((ContinuousClock.now - started).components.seconds)
        print(
          "\(image.name): \(image.sizeBytes >> 20) MiB from \(image.source) (\(image.config?.digest ?? "")) in "
            + String(format: "%.1f s", seconds))
      } catch let error as ValidationError {
        throw error
      } catch {
        display.finish()
        fail(error, code: 1)
      }
    }
  }

  struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "import",
      abstract: "Make an image from a docker save archive or an OCI image layout (a directory or a tar).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The archive or layout.") var file: String
    @Option(help: "The image name in Cove.") var name: String
    @Option(help: "Which image of the archive, by tag, when it holds several.") var tag: String?
    @Flag(help: "Replace an image of the same name.") var replace = false

    func run() async throws {
      global.bootstrapLogging()
      let store = ImageStore(home: CoveHome())
      let display = PullProgressDisplay()
      do {
        let image = try await interruptible {
          try await store.importArchive(file, named: name, select: tag, replacing: replace, progress: display.handler)
        }
        display.finish()
        print("\(image.name): \(image.sizeBytes >> 20) MiB from \(image.source) (\(image.config?.digest ?? ""))")
      } catch {
        display.finish()
        fail(error, code: 1)
      }
    }
  }

  struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show an image: where it came from and what a sandbox made from it starts with.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The image name.") var name: String
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
      global.bootstrapLogging()
      let image: ImageStore.Image
      do { image = try ImageStore(home: CoveHome()).image(named: name) } catch { fail(error, code: 1) }
      if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        print(String(decoding: try encoder.encode(image), as: UTF8.self))
        return
      }
      var rows = [
        ("name", image.name), ("source", image.source), ("size", "\(image.sizeBytes >> 20) MiB"),
        ("path", image.path),
      ]
      if let config = image.config {
        // JSON arrays, as the image gives them: quoting stays readable.
        func words(_ list: [String]) -> String {
          let encoder = JSONEncoder()
          encoder.outputFormatting = .withoutEscapingSlashes
          return (try? encoder.encode(list)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        rows += [
          ("digest", config.digest), ("entrypoint", words(config.entrypoint)), ("cmd", words(config.cmd)),
          ("workdir", config.workingDir ?? ""), ("user", config.user ?? ""),
          ("ports", config.exposedPorts.joined(separator: " ")),
        ]
        rows += config.env.map { ("env", $0) }
        rows += config.labels.sorted { $0.key < $1.key }.map { ("label", "\($0.key)=\($0.value)") }
      }
      for (key, value) in rows { print(key.padding(toLength: 12, withPad: " ", startingAt: 0) + value) }
    }
  }
}

/// Runs `work`, cancelling it on SIGINT, SIGTERM or SIGHUP and waiting for
/// it to clean up (partial blobs, the unpacked tree, the partial ext4)
/// before the command exits with 128 + the signal.
func interruptible<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
  let task = Task { try await work() }
  let interrupted = Interruption.watch { task.cancel() }
  defer { interrupted.stop() }
  let result = await task.result
  if let signal = interrupted.signal {
    fail(Message("interrupted; nothing half-made was kept"), code: ExitStatus.shellCode(forSignal: signal))
  }
  return try result.get()
}
