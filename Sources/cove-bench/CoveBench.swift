import ArgumentParser
import CoveMachine
import Crypto
import Dispatch
import Foundation
import Logging

@main
struct CoveBench: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cove-bench", abstract: "Cove's benchmarks that need more than a shell script.",
    subcommands: [Peers.self, Snapshot.self])
}

extension CoveBench {
  /// Cove's agent against qemu-guest-agent and SSH, in one VM.
  struct Peers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Exec round trip, file transfer and idle RSS: cove-agent vs qemu-guest-agent vs SSH in one VM.")

    @Option(help: "Exec round trips per peer.") var iterations = 100
    @Option(help: "File transfers (write and read back) per peer.") var fileIterations = 5
    @Option(name: .customLong("file-mib"), help: "File size in MiB.") var fileMiB = 64
    @Option(help: "Root filesystem image with the peers installed.") var image = "bench"
    @Option(help: "Guest memory in MiB.") var memory = 512
    @Option(help: "Write the results as JSON to this file.") var json: String?
    @Flag(name: .shortAndLong, help: "Log what the bench does.") var verbose = false

    func run() async throws {
      let level = ProcessInfo.processInfo.environment["COVE_LOG"].flatMap(Logger.Level.init(rawValue:))
      let verbose = self.verbose
      LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level ?? (verbose ? .info : .warning)
        return handler
      }
      let logger = Logger(label: "cove.bench")
      // The image first, outside the cancellable work: a Ctrl-C then reaches
      // mmdebstrap itself, which undoes its mounts, rather than a cancelled
      // task killing it outright.
      _ = try await GuestAssets(logger: logger).image(named: image)
      let options = self
      let work = Task { try await options.measure(logger: logger) }
      // Ctrl-C cancels the run; the VM is stopped and its files removed.
      signal(SIGINT, SIG_IGN)
      signal(SIGTERM, SIG_IGN)
      let sources = [SIGINT, SIGTERM].map { number in
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { work.cancel() }
        source.resume()
        return source
      }
      defer { sources.forEach { $0.cancel() } }
      let report = try await work.value
      report.print()
      if let json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: json))
      }
    }

    func measure(logger: Logger) async throws -> PeerReport {
      let guest = try await BenchGuest.boot(image: image, memoryMiB: memory, logger: logger)
      do {
        let report = try await measure(guest)
        await guest.stop()
        return report
      } catch {
        await guest.stop()
        throw error
      }
    }

    func measure(_ guest: BenchGuest) async throws -> PeerReport {
      let peers: [any Peer] = [guest.cove, guest.guestAgent, guest.ssh]
      var report = PeerReport(
        iterations: iterations, fileIterations: fileIterations, fileBytes: fileMiB << 20,
        accelerator: guest.machine.configuration.accelerator.rawValue, memoryMiB: memory)

      // Idle RSS once every peer has answered once and sat still for a second.
      for peer in peers { try await peer.runTrue() }
      try await Task.sleep(for: .seconds(1))
      report.idleRSSKiB = [
        guest.cove.name: try await guest.cove.residentKiB(pid: 1),
        guest.guestAgent.name: try await guest.cove.residentKiB(pid: guest.guestAgentPID),
      ]

      // Exec round trips, the peers taking turns so that drift in the host's
      // load touches all of them alike.
      for peer in peers { for _ in 0..<5 { try? await peer.runTrue() } }
      var exec = [String: Samples]()
      for _ in 0..<iterations {
        try Task.checkCancellation()
        for peer in peers { await exec[peer.name, default: Samples()].measure { try await peer.runTrue() } }
      }
      report.exec = exec

      // Files: write, read back, check the bytes.
      let data = Self.randomData(count: fileMiB << 20)
      let digest = SHA256.hash(data: data)
      var write = [String: Samples]()
      var read = [String: Samples]()
      for iteration in 0..<fileIterations {
        for peer in peers {
          try Task.checkCancellation()
          let path = "/tmp/bench-\(peer.name)-\(iteration).bin"
          await write[peer.name, default: Samples()].measure { try await peer.write(data, to: path) }
          var back = Data()
          await read[peer.name, default: Samples()].measure { back = try await peer.read(path) }
          if !back.isEmpty && SHA256.hash(data: back) != digest {
            read[peer.name, default: Samples()].errors.append(
              "read back \(back.count) bytes whose sha256 differs from what was written")
          }
          _ = try? await guest.cove.agent.files.remove(.with { $0.path = path })
        }
      }
      report.fileWrite = write
      report.fileRead = read

      try await Task.sleep(for: .seconds(1))
      report.afterRSSKiB = [
        guest.cove.name: try await guest.cove.residentKiB(pid: 1),
        guest.guestAgent.name: try await guest.cove.residentKiB(pid: guest.guestAgentPID),
      ]
      return report
    }

    /// Bytes that do not compress (xorshift), made quickly.
    static func randomData(count: Int) -> Data {
      var state = UInt64.random(in: 1...UInt64.max)
      var words = [UInt64](repeating: 0, count: (count + 7) / 8)
      words.withUnsafeMutableBufferPointer { buffer in
        for index in buffer.indices {
          state ^= state << 13
          state ^= state >> 7
          state ^= state << 17
          buffer[index] = state
        }
      }
      return words.withUnsafeBytes { Data($0.prefix(count)) }
    }
  }
}
