import CoveMachine
import CoveRules
import CoveSandbox
import Foundation
import HTTPTypes
import NIOCore
import OpenAPIRuntime
import Testing

@testable import CoveServer

/// The one mapping from the guest's errors to HTTP, and the exit-status
/// rule as the API shows it; no VM.
@Suite struct GuestErrorMappingTests {
  @Test("each guest error code has its HTTP status and API code")
  func statusByCode() {
    let expected: [(GuestError.Code, Int, String)] = [
      (.notFound, 404, "not_found"), (.alreadyExists, 409, "already_exists"),
      (.invalidArgument, 400, "invalid_request"), (.outOfRange, 400, "invalid_request"),
      (.permissionDenied, 403, "permission_denied"), (.failedPrecondition, 409, "failed_precondition"),
      (.resourceExhausted, 429, "resource_exhausted"), (.noSpace, 507, "resource_exhausted"),
      (.deadlineExceeded, 504, "timeout"), (.unavailable, 503, "agent_unavailable"),
      (.cancelled, 503, "agent_unavailable"), (.internalError, 502, "agent_error"), (.unknown, 502, "agent_error"),
    ]
    for (code, status, apiCode) in expected {
      let error = APIError(GuestError(code, "what the agent said"))
      #expect(error.status.code == status, "\(code)")
      #expect(error.code.rawValue == apiCode, "\(code)")
    }
  }

  @Test("the status follows the code, not the message's words")
  func notByMessage() {
    #expect(APIError(GuestError(.resourceExhausted, "no space left on device")).status.code == 429)
    #expect(APIError(GuestError(.noSpace, "too many processes")).status.code == 507)
    #expect(APIError(GuestError(.notFound, "permission denied")).status.code == 404)
  }

  @Test("the generated server's errors: a request it cannot read is 400, a handler's error keeps its status")
  func contractErrors() {
    func wrapped(_ error: any Error, input: (any Sendable)?) -> ServerError {
      ServerError(
        operationID: "getSandbox", request: HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/"),
        requestBody: nil, requestMetadata: .init(), operationInput: input, causeDescription: "test",
        underlyingError: error)
    }
    let unreadable = DecodingError.typeMismatch(
      Int.self, .init(codingPath: [], debugDescription: "Expected an Int for depth"))
    let refusal = APIError(wrapped(unreadable, input: nil))
    #expect(refusal.status.code == 400 && refusal.code == .invalidRequest)
    #expect(refusal.message.contains("depth"))
    let missing = APIError(wrapped(SandboxError.notFound("sb-x"), input: "the input"))
    #expect(missing.status.code == 404 && missing.code == .notFound)
    let broken = APIError(wrapped(GuestError(.unavailable, "closed"), input: "the input"))
    #expect(broken.status.code == 503 && broken.code == .agentUnavailable)
  }

  @Test("a refusal keeps the agent's message; a failure names its code")
  func messages() {
    #expect(
      APIError(GuestError(.notFound, "stat /x: no such file or directory")).message
        == "stat /x: no such file or directory")
    #expect(APIError(GuestError(.internalError, "boom")).message.contains("boom"))
  }

  @Test("calls cut by the sandbox going away are told apart from refusals")
  func brokenCalls() {
    #expect(GuestError(.unavailable, "").isBrokenCall)
    #expect(GuestError(.cancelled, "").isBrokenCall)
    #expect(GuestError(.unknown, "").isBrokenCall)
    #expect(!GuestError(.notFound, "").isBrokenCall)
    #expect(!GuestError(.deadlineExceeded, "").isBrokenCall)
  }

  @Test("a signal's exit is 128 + the signal, in the status and in the API's events")
  func exitStatus() {
    #expect(ExitStatus.exited(3).shellCode == 3)
    #expect(ExitStatus.exited(3).signal == nil)
    #expect(ExitStatus.signaled(9).shellCode == 137)
    #expect(ExitStatus.signaled(9).signal == 9)
    #expect(ExitStatus.shellCode(forSignal: 2) == 130)

    let killed = ServerSentEvents.event(for: .exited(.signaled(15), timedOut: true))
    #expect(String(buffer: killed) == "event: exit\ndata: {\"exit_code\":143,\"signal\":15,\"timed_out\":true}\n\n")
    let exited = ProcessEventJSON.encode(ProcessEventJSON.message(for: .exited(.exited(0), timedOut: false)))
    #expect(exited == #"{"exit_code":0,"timed_out":false,"type":"exit"}"#)
  }

  @Test("events are the document's types: output as base64, errors with their code")
  func eventShapes() {
    let output = ServerSentEvents.event(for: .stdout(Data("hi\n".utf8)))
    #expect(String(buffer: output) == "event: stdout\ndata: {\"data\":\"aGkK\"}\n\n")
    let refused = ProcessEventJSON.encode(ProcessEventJSON.message(for: APIError.badRequest("no")))
    #expect(refused == #"{"code":"invalid_request","message":"no","type":"error"}"#)
    let started = ProcessEventJSON.encode(ProcessEventJSON.message(for: .started(pid: 7)))
    #expect(started == #"{"pid":7,"type":"started"}"#)
  }

  @Test("exec-and-wait reports a killed command as a shell would")
  func collectedExit() {
    var collected = CollectedOutput()
    collected.add(.started(pid: 7))
    collected.add(.stdout(Data("hi\n".utf8)))
    collected.add(.exited(.signaled(9), timedOut: true))
    #expect(collected.result?.exitCode == 137)
    #expect(collected.result?.signal == 9)
    #expect(collected.result?.timedOut == true)
    #expect(collected.result?.stdout == "hi\n")
  }

  @Test("paths: absolute, no NUL, at most the shared byte limit")
  func pathRule() throws {
    try CoveAPI.checkPath("/" + String(repeating: "a", count: GuestLimits.maxPathBytes - 1))
    #expect(throws: APIError.self) {
      try CoveAPI.checkPath("/" + String(repeating: "a", count: GuestLimits.maxPathBytes))
    }
    #expect(throws: APIError.self) { try CoveAPI.checkPath("relative") }
    #expect(throws: APIError.self) { try CoveAPI.checkPath("/a\0b") }
  }

  @Test("terminal sizes within the shared bounds are taken, others refused")
  func terminalBounds() throws {
    let start = { (rows: UInt32, cols: UInt32) throws -> ProcessSpec in
      try Schemas.WebSocketStart(_type: "start", cmd: ["sh"], pty: .init(rows: Int(rows), cols: Int(cols)))
        .processSpec()
    }
    #expect(try start(24, 80).terminal == TerminalSize(rows: 24, cols: 80))
    #expect(try start(TerminalSize.bounds.upperBound, 1).terminal?.rows == TerminalSize.bounds.upperBound)
    #expect(throws: APIError.self) { try start(0, 80) }
    #expect(throws: APIError.self) { try start(24, TerminalSize.bounds.upperBound + 1) }
  }
}
