import CoveAgentProto
import CoveMachine
import Foundation
import Testing

/// Snapshots of real microVMs: one VM kept on disk, several started from it.
@Suite("Snapshots and clones", .serialized, .timeLimit(.minutes(10)))
struct SnapshotTests {
  @Test("clones of one snapshot carry on its processes and files, and part ways: own disk, hostname, random numbers")
  func clones() async throws {
    let directory = "/tmp/cove-snapshot-\(UUID().uuidString.prefix(6))"
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var configuration = try await TestGuest.configuration()
    let original = QEMUMachine(configuration: configuration)
    _ = try await original.boot(timeout: .seconds(480))
    let snapshot: MachineSnapshot
    do {
      let started = try await original.run(["sh", "-c", "echo before > /root/mark; sync"])
      #expect(started.exit.code == 0)
      let agent = try await original.waitForAgent(timeout: .seconds(5))
      _ = try await agent.processes.start(
        .with {
          $0.argv = ["sh", "-c", "while true; do date > /tmp/beat; sleep 1; done"]
          $0.background = true
          $0.tag = "survivor"
        }
      ) { response in
        for try await event in response.messages { if case .started = event.event { break } }
      }
      snapshot = try await original.snapshot(into: directory)
    } catch {
      await original.kill()
      throw error
    }
    #expect(!original.isRunning)
    #expect(FileManager.default.fileExists(atPath: snapshot.memory))
    let memorySize = try FileManager.default.attributesOfItem(atPath: snapshot.memory)[.size] as? Int

    configuration.restore = snapshot
    configuration.rootImage = snapshot.disk
    configuration.rootImageFormat = "qcow2"
    var randoms: Set<String> = []
    var clones: [QEMUMachine] = []
    do {
      for index in 0..<3 {
        let clone = QEMUMachine(configuration: configuration)
        clones.append(clone)
        let clock = ContinuousClock()
        let start = clock.now
        let agent = try await clone.boot(timeout: .seconds(480))
        print("clone \(index) answered after \(clock.now - start)")
        var seed = [UInt8](repeating: 0, count: 64)
        for offset in seed.indices { seed[offset] = UInt8.random(in: 0...255) }
        _ = try await agent.system.addEntropy(.with { $0.data = Data(seed) })
        _ = try await agent.system.setHostname(.with { $0.hostname = "clone-\(index)" })
        let seen = try await clone.run([
          "sh", "-c",
          "cat /root/mark; hostname; ps | grep -c '[w]hile true'; cat /root/mine 2>/dev/null; echo $$ > /root/mine",
        ])
        #expect(seen.stdout == "before\nclone-\(index)\n1\n", "clone \(index) saw: \(seen.stdout) \(seen.stderr)")
        randoms.insert(try await clone.run(["sh", "-c", "head -c 16 /dev/urandom | od -An -tx1"]).stdout)
      }
    } catch {
      // Whatever started is stopped before the test ends, pass or fail.
      for clone in clones { await clone.kill() }
      throw error
    }
    #expect(randoms.count == 3, "clones gave the same random bytes")
    for clone in clones { await clone.stop(grace: .seconds(3)) }
    #expect(clones.allSatisfy { !$0.isRunning })
    // The clones wrote to their own copies: the snapshot is as it was.
    #expect(try FileManager.default.attributesOfItem(atPath: snapshot.memory)[.size] as? Int == memorySize)
    #expect(FileManager.default.fileExists(atPath: snapshot.disk))
  }
}
