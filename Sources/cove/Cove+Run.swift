import ArgumentParser
import CoveImages
import CoveMachine
import CoveRules
import Dispatch
import Foundation
import Logging

extension Cove {
  struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Boot a sandbox, run one command in it, and remove the sandbox.",
      discussion: "Output streams live; cove exits with the command's exit code (125 when Cove itself fails).")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Root filesystem image (see `cove image ls`).") var image = "debian"
    @Option(help: "Virtual CPUs.") var cpus = 1
    @Option(help: "Guest memory in MiB.") var memory = 256
    @Option(name: .shortAndLong, help: "Environment variable for the command, K=V (repeatable).") var env: [String] = []
    @Option(name: .shortAndLong, help: "Working directory in the guest.") var workdir: String?
    @Option(name: .shortAndLong, help: "User in the guest, by name or uid.") var user: String?
    @Option(help: "Kill the command after this many seconds.") var timeout: Double?
    @Option(help: "Accelerator: kvm or tcg (default: kvm when the CPU has vmx/svm).") var accel: String?
    @Option(help: "Boot this kernel instead of the distribution's cloud kernel.") var kernel: String?
    @Option(help: "Directory of .ko modules for --kernel (omit if its virtio drivers are built in).")
    var kernelModules: String?
    @Option(help: "Seconds to wait for the guest agent from its boot turn (a stuck guest is caught sooner).")
    var bootTimeout: Double = 300
    @Flag(help: "No network device in the guest.") var noNetwork = false
    @Flag(help: "Keep the guest console log (its path is printed).") var keepConsole = false
    @Option(help: "Replace the image's entrypoint (\"\" drops it).") var entrypoint: String?
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
      for pair in env where !pair.contains("=") || pair.hasPrefix("=") {
        throw ValidationError("-e takes KEY=VALUE, not \(pair)")
      }
      if let accel, Accelerator(rawValue: accel) == nil { throw ValidationError("--accel is kvm or tcg") }
    }

    var argv: [String] { command.first == "--" ? Array(command.dropFirst()) : command }

    func run() async throws {
      global.bootstrapLogging()
      let logger = Logger(label: "cove.run")
      var assets = GuestAssets(logger: logger)
      assets.customKernel = kernel
      assets.customModules = kernelModules
      // Missing QEMU, agent or image: say so now, with the fix, rather than
      // after fetching a kernel or halfway through a boot.
      await HostCheck.cli(
        home: assets.home, runDirectory: MachineConfiguration.defaultRunDirectory, image: image, accel: accel,
        kernel: kernel
      ).requireReady(for: .run, code: 125)
      let code: Int32
      do {
        var configuration = try await assets.configuration(image: image)
        configuration.cpus = cpus
        configuration.memoryMiB = memory
        configuration.network = !noNetwork
        configuration.keepConsoleLog = keepConsole
        if let accel, let chosen = Accelerator(rawValue: accel) { configuration.accelerator = chosen }
        // An OCI image's Env, WorkingDir, User, Entrypoint and Cmd are
        // the defaults, as docker run takes them.
        let defaults = try? ImageStore(home: assets.home).image(named: image).config
        let spec = processSpec(defaults: defaults)
        guard !spec.argv.isEmpty else {
          throw Message("give a command to run, after -- (image \(image) has no Entrypoint or Cmd)")
        }
        code = try await Self.runInterruptibly(
          QEMUMachine(configuration: configuration, logger: logger), spec: spec,
          bootTimeout: .milliseconds(Int(bootTimeout * 1000)))
      } catch {
        fail(error)
      }
      Foundation.exit(code)
    }

    func processSpec(defaults: ImageDefaults? = nil) -> ProcessSpec {
      var variables: [String: String] = [:]
      for pair in env {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        variables[String(parts[0])] = String(parts[1])
      }
      let launch = ImageLaunch(
        defaults: defaults, arguments: argv, entrypoint: entrypoint, env: variables, workdir: workdir, user: user)
      var spec = ProcessSpec(argv: launch.argv, env: launch.env, cwd: launch.cwd, user: launch.user)
      // 0 (or less) is no timeout, as the agent reads it.
      if let timeout, timeout > 0 { spec.timeout = .milliseconds(Int64(timeout * 1000)) }
      return spec
    }

    /// Boots, runs and removes the VM; SIGINT, SIGTERM and SIGHUP end the
    /// run early but still remove everything.
    static func runInterruptibly(
      _ machine: QEMUMachine, spec: ProcessSpec, bootTimeout: Duration
    ) async throws -> Int32 {
      let work = Task { () async throws -> Int32 in
        _ = try await machine.boot(timeout: bootTimeout)
        let exit = try await machine.execute(spec) { stream, data in
          (stream == .stdout ? FileHandle.standardOutput : FileHandle.standardError).write(data)
        }
        if exit.timedOut { FileHandle.standardError.write(Data("cove: the command timed out\n".utf8)) }
        return exit.code
      }
      let interrupted = Interruption.watch { work.cancel() }
      defer { interrupted.stop() }
      let result = await work.result
      await machine.stop(grace: .seconds(2))
      if let signal = interrupted.signal { return ExitStatus.shellCode(forSignal: signal) }
      return try result.get()
    }
  }
}

/// Turns SIGINT, SIGTERM and SIGHUP into a call of `handler` (once) and
/// remembers which signal came.
final class Interruption: @unchecked Sendable {
  private let sources: [any DispatchSourceSignal]
  private let lock = NSLock()
  private var received: Int32?

  var signal: Int32? { lock.withLock { received } }

  private init(handler: @escaping @Sendable () -> Void) {
    var sources: [any DispatchSourceSignal] = []
    let box = Box()
    for number in [SIGINT, SIGTERM, SIGHUP] {
      Foundation.signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler {
        if box.owner?.record(number) == true { handler() }
      }
      source.resume()
      sources.append(source)
    }
    self.sources = sources
    box.owner = self
  }

  static func watch(_ handler: @escaping @Sendable () -> Void) -> Interruption { Interruption(handler: handler) }

  private func record(_ number: Int32) -> Bool {
    lock.withLock {
      guard received == nil else { return false }
      received = number
      return true
    }
  }

  func stop() { for source in sources { source.cancel() } }

  private final class Box: @unchecked Sendable { weak var owner: Interruption? }
}
