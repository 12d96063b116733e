import CoveAgent
import GRPCCore
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// What the host reads from an agent error besides its status; no agent.
@Suite struct AgentErrorTests {
  @Test("a failed system call sends its errno beside the status, so the host can tell a full disk")
  func errnoTravels() {
    let full = AgentError.system("write", "/data", errno: ENOSPC).rpcError
    #expect(full.code == .resourceExhausted)
    #expect(Array(full.metadata[stringValues: "cove-errno"]) == ["\(ENOSPC)"])
    let plain = AgentError(.resourceExhausted, "too many processes").rpcError
    #expect(Array(plain.metadata[stringValues: "cove-errno"]).isEmpty)
  }
}
