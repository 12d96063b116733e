import CoveAgentProto
import NIOHTTP1

/// The HTTP face of the lifecycle hooks, after the Lambda MicroVM runtime
/// contract: `POST /aws/lambda-microvms/runtime/v1/{hook}` with the payload
/// as the body. Parsing and answers only; `HookHTTPListener` does the I/O.
enum HookHTTPContract {
  static let pathPrefix = "/aws/lambda-microvms/runtime/v1/"
  /// Largest request body accepted (413 beyond).
  static let maxBodyBytes = 6 << 20

  enum Route: Equatable, Sendable {
    case hook(Hook)
    case notFound
    case methodNotAllowed
  }

  /// Which hook a request asks for. The query string is ignored.
  static func route(method: HTTPMethod, uri: String) -> Route {
    let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
    guard path.hasPrefix(pathPrefix), let hook = LifecycleState.hook(named: path.dropFirst(pathPrefix.count)) else {
      return .notFound
    }
    return method == .POST ? .hook(hook) : .methodNotAllowed
  }

  /// An answer: its status, and a body that is the command's output on
  /// success and the reason otherwise.
  struct Answer: Equatable, Sendable {
    var status: HTTPResponseStatus
    var body: [UInt8]
    var contentType: String

    /// A message as a body of text, ending in a newline unless empty.
    static func text(_ status: HTTPResponseStatus, _ message: String) -> Answer {
      var body = Array(message.utf8)
      if body.last.map({ $0 != 0x0A }) ?? false { body.append(0x0A) }
      return Answer(status: status, body: body, contentType: "text/plain; charset=utf-8")
    }
  }

  static func answer(_ response: Cove_Agent_V1_InvokeHookResponse) -> Answer {
    switch response.outcome {
    case .done, .alreadyDone:
      return Answer(status: .ok, body: Array(response.output), contentType: "application/octet-stream")
    case .notReady: return .text(.serviceUnavailable, response.message)
    case .refused: return .text(.conflict, response.message)
    case .failed, .unspecified, .UNRECOGNIZED: return .text(.internalServerError, response.message)
    }
  }

}

extension HookHTTPContract.Answer {
  static let notFound = text(
    .notFound, "no such hook: POST \(HookHTTPContract.pathPrefix){ready|validate|run|suspend|resume|terminate}")
  static let methodNotAllowed = text(.methodNotAllowed, "hooks take POST")
  static let tooLarge = text(.payloadTooLarge, "the payload is larger than \(HookHTTPContract.maxBodyBytes) bytes")
}
