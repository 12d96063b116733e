import ArgumentParser
import CoveAgentProto
import CoveMachine
import Foundation
import Logging

extension CoveBench {
  /// Cold boots against clones of a snapshot, at the machine layer.
  struct Snapshot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Cold boot to first exec vs clone of a snapshot to first exec; clones per second; PSS per idle clone.")

    @Option(help: "Cold boots and clones to time.") var iterations = 5
    @Option(help: "Clones kept running at once, for clones per second and memory.") var clones = 5
    @Option(help: "Root filesystem image.") var image = "busybox"
    @Option(help: "Guest memory in MiB.") var memory = 256

    func run() async throws {
      LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = .warning
        return handler
      }
      let logger = Logger(label: "cove.bench")
      var configuration = try await GuestAssets(logger: logger).configuration(image: image)
      configuration.memoryMiB = memory
      configuration.network = false
      configuration.runDirectory = "/tmp/cove-bench-snapshot-\(getpid())"
      let directory = configuration.runDirectory + "-template"
      defer { try? FileManager.default.removeItem(atPath: directory) }
      let first = Cove_Agent_V1_StartRequest.with { $0.argv = ["true"] }

      var cold = Samples()
      for _ in 0..<iterations {
        let machine = QEMUMachine(configuration: configuration, logger: logger)
        await cold.measure {
          let agent = try await machine.boot()
          try await Self.execute(first, agent: agent)
        }
        await machine.stop(grace: .seconds(3))
      }

      let original = QEMUMachine(configuration: configuration, logger: logger)
      let agent = try await original.boot()
      try await Self.execute(first, agent: agent)
      let clock = ContinuousClock()
      var started = clock.now
      let snapshot = try await original.snapshot(into: directory)
      let snapshotTime = clock.now - started
      var clone = configuration
      clone.restore = snapshot
      clone.rootImage = snapshot.disk
      clone.rootImageFormat = "qcow2"

      var cloned = Samples()
      var running: [QEMUMachine] = []
      started = clock.now
      for index in 0..<max(iterations, clones) {
        let machine = QEMUMachine(configuration: clone, logger: logger)
        await cloned.measure {
          let agent = try await machine.boot(timeout: .seconds(30))
          _ = try await agent.system.addEntropy(
            .with { $0.data = Data((0..<32).map { _ in UInt8.random(in: 0...255) }) })
          _ = try await agent.system.setHostname(.with { $0.hostname = "clone-\(index)" })
          try await Self.execute(first, agent: agent)
        }
        // A clone that failed is killed (its files removed) at once.
        if !machine.isRunning {
          await machine.kill()
        } else if index < clones {
          running.append(machine)
        } else {
          await machine.stop(grace: .seconds(3))
        }
        if index == clones - 1 {
          let elapsed = clock.now - started
          print(
            String(
              format: "clones started per second: %.2f (%d, one after another, each to its first exec)",
              Double(clones) / elapsed.seconds, clones))
        }
      }
      try await Task.sleep(for: .seconds(2))
      let pss = running.compactMap { $0.pid.flatMap(Self.proportionalSetSize) }
      for machine in running { await machine.stop(grace: .seconds(3)) }
      running = []

      let (suspends, resumes) = try await Self.suspendAndResume(configuration, times: iterations, logger: logger)

      print(
        String(
          format: "snapshot of a %d MiB guest: %.0f ms (memory file kept on disk)", memory, snapshotTime.seconds * 1000)
      )
      Self.report("suspend to disk", suspends)
      Self.report("resume from suspend to first exec", resumes)
      Self.report("cold boot to first exec", cold)
      Self.report("clone to first exec", cloned)
      if !pss.isEmpty {
        print(
          String(
            format: "PSS per idle clone (QEMU process): mean %.1f MiB over %d clones",
            Double(pss.reduce(0, +)) / Double(pss.count) / 1024, pss.count))
      }
      if let c = cloned.p50, let b = cold.p50 { print(String(format: "ratio: %.3f", c / b)) }
    }

    /// One VM suspended to disk and resumed `times` times over: the time
    /// to save it (QEMU gone, memory file on disk), and the time from
    /// starting a QEMU that takes the snapshot over to its first exec.
    static func suspendAndResume(_ configuration: MachineConfiguration, times: Int, logger: Logger) async throws
      -> (Samples, Samples)
    {
      let directory = configuration.runDirectory + "-suspended"
      defer { try? FileManager.default.removeItem(atPath: directory) }
      let first = Cove_Agent_V1_StartRequest.with { $0.argv = ["true"] }
      var machine = QEMUMachine(configuration: configuration, id: "suspended", logger: logger)
      try await execute(first, agent: try await machine.boot())
      var suspends = Samples()
      var resumes = Samples()
      for _ in 0..<times {
        var snapshot: MachineSnapshot?
        await suspends.measure { snapshot = try await machine.snapshot(into: directory) }
        guard let snapshot else { break }
        var resume = configuration
        resume.restore = snapshot
        resume.restoreTakesOver = true
        machine = QEMUMachine(configuration: resume, id: "suspended", logger: logger)
        let resumed = machine
        await resumes.measure {
          let agent = try await resumed.boot(timeout: .seconds(30))
          resumed.keepSnapshotFiles()
          try await execute(first, agent: agent)
        }
        guard machine.isRunning else { break }
      }
      await machine.stop(grace: .seconds(3))
      return (suspends, resumes)
    }

    static func execute(_ request: Cove_Agent_V1_StartRequest, agent: AgentConnection) async throws {
      try await agent.processes.start(request) { response in
        for try await _ in response.messages {}
      }
    }

    static func report(_ name: String, _ samples: Samples) {
      let p50 = samples.p50.map { String(format: "%.0f", $0) } ?? "-"
      let p90 = samples.p90.map { String(format: "%.0f", $0) } ?? "-"
      print("\(name): p50 \(p50) ms, p90 \(p90) ms (\(samples.count) runs, \(samples.errors.count) failed)")
      for error in samples.errors { print("  error: \(error)") }
    }

    /// The Pss line of /proc/PID/smaps_rollup, in KiB.
    static func proportionalSetSize(_ pid: pid_t) -> Int? {
      guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8),
        let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Pss:") })
      else { return nil }
      return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }
  }
}

extension Duration {
  var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
