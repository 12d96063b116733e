import CoveAgentProto
import Foundation
import GRPCCore
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

@Suite("HTTP/2 limits and shutdown, against the real agent binary", .timeLimit(.minutes(5)))
struct HTTP2LimitTests {
  @Test("the agent advertises its limit of concurrent streams in its SETTINGS")
  func advertisedStreamLimit() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let raw = try RawHTTP2Connection(socketPath: agent.socketPath)
    defer { raw.close() }
    var settings: [UInt16: UInt32]? = nil
    while settings == nil, let frame = try raw.readFrame() {
      if frame.kind == .settings && frame.flags & 0x1 == 0 { settings = frame.settings }
    }
    #expect(settings?[RawHTTP2Connection.maxConcurrentStreams] == 100)
  }

  @Test("shutdown ends the agent even while an idle client keeps its connection open")
  func shutdownWithIdleConnection() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let idle = try RawHTTP2Connection(socketPath: agent.socketPath)
    defer { idle.close() }
    try await agent.withClient { client in
      _ = try await client.system.shutdown(.init())
    }
    #expect(await eventually(within: 240) { !agent.process.isRunning })
  }
}
