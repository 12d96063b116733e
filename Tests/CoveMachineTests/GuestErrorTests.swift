import CoveMachine
import GRPCCore
import Testing

/// The agent's gRPC statuses as guest errors; no VM.
@Suite struct GuestErrorTests {
  @Test("a full disk is told from other exhausted resources by the errno the agent sends, not the message")
  func noSpaceByErrno() {
    let full = RPCError(code: .resourceExhausted, message: "write /x: file too large", metadata: ["cove-errno": "28"])
    #expect(GuestError(full).code == .noSpace)
    let quota = RPCError(code: .resourceExhausted, message: "", metadata: ["cove-errno": "122"])
    #expect(GuestError(quota).code == .noSpace)
    let worded = RPCError(code: .resourceExhausted, message: "write /x: no space left on device")
    #expect(GuestError(worded).code == .resourceExhausted)
  }

  @Test("the status, message and cause are kept")
  func keepsCause() {
    let error = GuestError(RPCError(code: .notFound, message: "stat /nope: no such file or directory"))
    #expect(error.code == .notFound)
    #expect(error.message == "stat /nope: no such file or directory")
    #expect((error.cause as? RPCError)?.code == .notFound)
  }
}
