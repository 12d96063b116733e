import CoveSandbox
import Foundation
import GRPCCore
import Hummingbird

/// Every error the API answers with: `{"error": {"code": ..., "message": ...}}`
/// and the status that fits.
public struct APIError: HTTPResponseError, Sendable {
  public var status: HTTPResponse.Status
  public var code: String
  public var message: String
  public var headers: HTTPFields = [:]

  public init(_ status: HTTPResponse.Status, code: String, _ message: String) {
    self.status = status
    self.code = code
    self.message = message
  }

  public func response(from request: Request, context: some RequestContext) throws -> Response {
    var headers = self.headers
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: body)))
  }

  var body: Data {
    struct Envelope: Encodable {
      struct Inner: Encodable {
        var code: String
        var message: String
      }
      var error: Inner
    }
    return (try? JSONEncoder().encode(Envelope(error: .init(code: code, message: message)))) ?? Data()
  }

  static func badRequest(_ message: String) -> APIError { APIError(.badRequest, code: "invalid_request", message) }

  /// The API's view of any error a handler throws.
  init(_ error: any Error) {
    switch error {
    case let error as APIError: self = error
    case let error as SandboxError: self.init(sandbox: error)
    case let error as RPCError: self.init(agent: error)
    case let error as HTTPError:
      self.init(error.status, code: Self.code(for: error.status), error.body ?? error.status.reasonPhrase)
    case let error as DecodingError: self = .badRequest("the request body is not valid: \(Self.describe(error))")
    default: self.init(.internalServerError, code: "internal", "\(error)")
    }
  }

  init(sandbox error: SandboxError) {
    switch error.kind {
    case .notFound: self.init(.notFound, code: "not_found", error.description)
    case .conflict: self.init(.conflict, code: "conflict", error.description)
    case .invalid: self.init(.badRequest, code: "invalid_request", error.description)
    case .tooMany:
      let code =
        switch error {
        case .memoryBudgetExceeded: "memory_budget_exceeded"
        case .tooManyTemplates: "too_many_templates"
        default: "too_many_sandboxes"
        }
      self.init(.tooManyRequests, code: code, error.description)
    case .unavailable: self.init(.serviceUnavailable, code: "unavailable", error.description)
    case .storage:
      self.init(
        HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), code: "insufficient_storage",
        error.description)
    case .failed: self.init(.internalServerError, code: "boot_failed", error.description)
    }
  }

  /// The agent's gRPC status, as the HTTP status a client expects.
  init(agent error: RPCError) {
    let message = error.message
    switch error.code {
    case .notFound: self.init(.notFound, code: "not_found", message)
    case .alreadyExists: self.init(.conflict, code: "already_exists", message)
    case .permissionDenied: self.init(.forbidden, code: "permission_denied", message)
    case .invalidArgument, .outOfRange: self.init(.badRequest, code: "invalid_request", message)
    case .failedPrecondition: self.init(.conflict, code: "failed_precondition", message)
    case .resourceExhausted:
      self.init(
        message.contains("space")
          ? HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage") : .tooManyRequests,
        code: "resource_exhausted", message)
    case .deadlineExceeded: self.init(.gatewayTimeout, code: "timeout", message)
    case .unavailable, .cancelled: self.init(.serviceUnavailable, code: "agent_unavailable", message)
    default: self.init(.badGateway, code: "agent_error", "\(error.code): \(message)")
    }
  }

  static func code(for status: HTTPResponse.Status) -> String {
    switch status {
    case .notFound: "not_found"
    case .unauthorized: "unauthorized"
    case .contentTooLarge: "too_large"
    case .methodNotAllowed: "method_not_allowed"
    case .badRequest: "invalid_request"
    default: status.code < 500 ? "client_error" : "internal"
    }
  }

  static func describe(_ error: DecodingError) -> String {
    switch error {
    case .keyNotFound(let key, _): "missing field \(key.stringValue)"
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
      "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
    case .dataCorrupted(let context): context.debugDescription
    @unknown default: "\(error)"
    }
  }
}

/// Turns whatever a handler throws into an ``APIError``.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    do {
      return try await next(request, context)
    } catch {
      let apiError = APIError(error)
      if apiError.status.code >= 500 {
        context.logger.error("request failed", metadata: ["error": "\(apiError.message)"])
      }
      throw apiError
    }
  }
}
