import CoveMachine
import CoveSandbox
import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle

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
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(Envelope(error: .init(code: code, message: message)))) ?? Data()
  }

  static func badRequest(_ message: String) -> APIError { APIError(.badRequest, code: "invalid_request", message) }

  /// What a request or stream cut short by SIGTERM is told.
  static let shuttingDown = APIError(.serviceUnavailable, code: "shutting_down", "the server is shutting down")

  /// The API's view of any error a handler throws.
  init(_ error: any Error) {
    switch error {
    case let error as APIError: self = error
    case let error as SandboxError: self.init(sandbox: error)
    case let error as GuestError: self.init(guest: error)
    case let error as HTTPError:
      self.init(error.status, code: Self.code(for: error.status), error.body ?? error.status.reasonPhrase)
    case let error as DecodingError: self = .badRequest("the request body is not valid: \(Self.describe(error))")
    case let error as NIOTooManyBytesError:
      let limit = error.maxBytes.map { " of \($0) bytes" } ?? ""
      self.init(.contentTooLarge, code: "too_large", "the request body is over the limit\(limit)")
    case is CancellationError where Task.isShuttingDownGracefully: self = .shuttingDown
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
    case .storage: self.init(Self.insufficientStorage, code: "insufficient_storage", error.description)
    case .failed: self.init(.internalServerError, code: "boot_failed", error.description)
    }
  }

  /// The guest's refusal or failure, as the HTTP status a client expects:
  /// decided by the error's code alone.
  init(guest error: GuestError) {
    let message = error.message
    switch error.code {
    case .notFound: self.init(.notFound, code: "not_found", message)
    case .alreadyExists: self.init(.conflict, code: "already_exists", message)
    case .permissionDenied: self.init(.forbidden, code: "permission_denied", message)
    case .invalidArgument, .outOfRange: self.init(.badRequest, code: "invalid_request", message)
    case .failedPrecondition: self.init(.conflict, code: "failed_precondition", message)
    case .resourceExhausted: self.init(.tooManyRequests, code: "resource_exhausted", message)
    case .noSpace: self.init(Self.insufficientStorage, code: "resource_exhausted", message)
    case .deadlineExceeded: self.init(.gatewayTimeout, code: "timeout", message)
    case .unavailable, .cancelled: self.init(.serviceUnavailable, code: "agent_unavailable", message)
    case .aborted, .unimplemented, .unauthenticated, .dataLoss, .internalError, .unknown:
      self.init(.badGateway, code: "agent_error", "\(error.code): \(message)")
    }
  }

  static let insufficientStorage = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")

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

extension APIError {
  /// The API's view of `error`, met while working in sandbox `id`: an agent
  /// call that broke because the sandbox was deleted, stopped or suspended
  /// meanwhile says so (410 or 409), instead of blaming the agent (503).
  static func explaining(
    _ error: any Error, sandbox id: String?, during operation: String, manager: SandboxManager
  ) async -> APIError {
    let apiError = APIError(error)
    guard let id, let guest = error as? GuestError, guest.isBrokenCall else {
      return apiError
    }
    let record: SandboxRecord
    do {
      record = try await manager.get(id)
    } catch {
      return APIError(.gone, code: "sandbox_deleted", "sandbox \(id) was deleted while \(operation) ran")
    }
    switch record.state {
    case .stopping, .stopped, .error:
      if let reason = record.error {
        return APIError(.conflict, code: "sandbox_stopped", "sandbox \(id) stopped (\(reason)) while \(operation) ran")
      }
      return APIError(.gone, code: "sandbox_deleted", "sandbox \(id) was deleted while \(operation) ran")
    case .snapshotting, .suspended:
      return APIError(.conflict, code: "sandbox_suspended", "sandbox \(id) was suspended while \(operation) ran")
    default:
      return apiError
    }
  }

  /// The sandbox id in an API path, `/v1/sandboxes/{id}/...`.
  static func sandboxID(inPath path: String) -> String? {
    let parts = path.split(separator: "/")
    guard parts.count >= 4, parts[0] == "v1", parts[1] == "sandboxes" else { return nil }
    return String(parts[2])
  }

  /// What a request to `path` was doing, for ``explaining(_:sandbox:during:manager:)``.
  static func operation(inPath path: String) -> String {
    if path.contains("/exec") { return "the command" }
    if path.contains("/files") { return "the file operation" }
    if path.contains("/processes") { return "the process call" }
    return "the request"
  }
}

/// Turns whatever a handler throws into an ``APIError``.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
  let manager: SandboxManager

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    do {
      return try await next(request, context)
    } catch {
      let apiError = await APIError.explaining(
        error, sandbox: APIError.sandboxID(inPath: request.uri.path),
        during: APIError.operation(inPath: request.uri.path), manager: manager)
      if apiError.status.code >= 500 {
        context.logger.error("request failed", metadata: ["error": "\(apiError.message)"])
      }
      throw apiError
    }
  }
}
