import CoveAgentProto
import CoveTestSupport
import Foundation
import GRPCCore
import Testing

@Suite("System service, against the real agent binary", .timeLimit(.minutes(5)))
struct SystemServiceTests {
  @Test("health, capabilities and metrics describe the agent and its machine")
  func healthCapabilitiesMetrics() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    try await agent.withClient { client in
      let health = try await client.system.health(.init())
      #expect(health.version == "0.1.0")
      #expect(!health.initMode)
      let caps = try await client.system.capabilities(.init())
      #expect(caps.services.contains("cove.agent.v1.Process"))
      #expect(caps.maxProcesses == 64)
      let metrics = try await client.system.metrics(.init())
      #expect(metrics.cpuCount >= 1)
      #expect(metrics.memoryTotalBytes > metrics.memoryAvailableBytes)
      #expect(metrics.diskTotalBytes > 0)
      #expect(metrics.agentRssBytes > 1 << 20)
      let error = await #expect(throws: RPCError.self) {
        _ = try await client.system.metrics(.with { $0.diskPath = "/no/such/place" })
      }
      #expect(error?.code == .notFound)
    }
  }

  @Test("the default environment applies to later processes")
  func defaultEnvironment() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    try await agent.withClient { client in
      _ = try await client.system.setEnvironment(.with { $0.env = ["PATH": "/usr/bin:/bin", "COVE_ID": "sbx-1"] })
      let o = try await client.run(["sh", "-c", "echo $COVE_ID"])
      #expect(o.out == "sbx-1\n")
      await #expect(throws: RPCError.self) { _ = try await client.system.setEnvironment(.with { $0.env = ["": "x"] }) }
    }
  }

  @Test("hostname is set inside its own UTS namespace; bad names are refused")
  func hostname() async throws {
    let agent = try await AgentHarness(prefix: ["unshare", "--uts"])
    defer { agent.stop() }
    try await agent.withClient { client in
      _ = try await client.system.setHostname(.with { $0.hostname = "cove-test-host" })
      let named = try await client.run(["hostname"])
      #expect(named.out == "cove-test-host\n")
      let error = await #expect(throws: RPCError.self) {
        _ = try await client.system.setHostname(.with { $0.hostname = "bad name!" })
      }
      #expect(error?.code == .invalidArgument)
    }
  }

  @Test("entropy is accepted within bounds; the clock takes the current time")
  func entropyAndClock() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    try await agent.withClient { client in
      _ = try await client.system.addEntropy(.with { $0.data = Data((0..<64).map { _ in UInt8.random(in: 0...255) }) })
      await #expect(throws: RPCError.self) {
        _ = try await client.system.addEntropy(.with { $0.data = Data(count: 5000) })
      }
      await #expect(throws: RPCError.self) { _ = try await client.system.addEntropy(.init()) }
      var now = timespec()
      clock_gettime(CLOCK_REALTIME, &now)
      _ = try await client.system.setClock(.with { $0.unixNs = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec) })
      await #expect(throws: RPCError.self) { _ = try await client.system.setClock(.with { $0.unixNs = -1 }) }
    }
  }

  @Test("shutdown stops a serving agent, its processes and its socket")
  func shutdown() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    try await agent.withClient { client in
      _ = try await client.processes.start(
        .with {
          $0.argv = ["sleep", "60"]; $0.background = true; $0.tag = "survivor?"
        }
      ) { for try await e in $0.messages { if case .started = e.event { break } } }
      _ = try await client.system.shutdown(.init())
    }
    #expect(await eventually(within: 240) { !agent.process.isRunning })
    #expect(!FileManager.default.fileExists(atPath: agent.socketPath))
    #expect(try pgrep("sleep 60").filter { isDescendant($0, of: agent.process.processIdentifier) }.isEmpty)
  }

  @Test("SIGTERM stops the agent and kills what it started")
  func terminationSignal() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let pid = try await agent.withClient { client in
      try await client.processes.start(
        .with {
          $0.argv = ["sleep", "61"]; $0.background = true
        }
      ) { response in
        for try await e in response.messages { if case .started(let s) = e.event { return Int32(s.pid) } }
        return Int32(0)
      }
    }
    agent.process.terminate()
    await agent.process.exited()
    // Killed by the agent, then reaped by whoever adopted it: wait for the reaping.
    #expect(await eventually(within: 240) { kill(pid, 0) != 0 })
    #expect(!FileManager.default.fileExists(atPath: agent.socketPath))
  }
}
