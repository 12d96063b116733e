import CoveAPIContract
import CoveMachine
import CoveSandbox
import Foundation
import Hummingbird
import NIOCore
import OpenAPIRuntime
import ServiceLifecycle

/// The API's error codes, as openapi.yaml's `ErrorCode` enum defines them.
public typealias ErrorCode = Components.Schemas.ErrorCode

/// Every error the API answers with: `{"error": {"code": ..., "message": ...}}`
/// and the status that fits.
public struct APIError: HTTPResponseError, Sendable {
  public var status: HTTPResponse.Status
  public var code: ErrorCode
  public var message: String
  public var headers: HTTPFields = [:]

  public init(_ status: HTTPResponse.Status, code: ErrorCode, _ message: String) {
    self.status = status
    self.code = code
    self.message = message
  }

  public func response(from request: Request, context: some RequestContext) throws -> Response {
    var headers = self.headers
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: body)))
  }

  /// What clients are told: the `Error` schema's `{"error": {"code", "message"}}`.
  var detail: Components.Schemas.ErrorDetail { .init(code: code, message: message) }

  var body: Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(Components.Schemas._Error(error: detail))) ?? Data()
  }

  static func badRequest(_ message: String) -> APIError { APIError(.badRequest, code: .invalidRequest, message) }

  /// What a request or stream cut short by SIGTERM is told.
  static let shuttingDown = APIError(.serviceUnavailable, code: .shuttingDown, "the server is shutting down")

  /// The API's view of any error a handler throws.
  init(_ error: any Error) {
    switch error {
    case let error as APIError: self = error
    case let error as ServerError: self.init(contract: error)
    case let error as SandboxError: self.init(sandbox: error)
    case let error as GuestError: self.init(guest: error)
    case let error as HTTPError:
      self.init(error.status, code: Self.code(for: error.status), error.body ?? error.status.reasonPhrase)
    case let error as DecodingError: self = .badRequest("the request body is not valid: \(Self.describe(error))")
    case let error as NIOTooManyBytesError:
      let limit = error.maxBytes.map { " of \($0) bytes" } ?? ""
      self.init(.contentTooLarge, code: .tooLarge, "the request body is over the limit\(limit)")
    case is CancellationError where Task.isShuttingDownGracefully: self = .shuttingDown
    default: self.init(.internalServerError, code: ._internal, "\(error)")
    }
  }

  /// An error of the generated server: the handler's own error, or a
  /// request it could not read (a parameter or body not of the document's
  /// types: 400, whatever status OpenAPIRuntime suggests, as the document
  /// gives every operation 400 and no 406 or 415).
  init(contract error: ServerError) {
    let cause = Self.cause(of: error)
    // OpenAPIRuntime's own refusals (a request it could not read, an
    // answer the client does not accept) say what they would answer.
    if !(cause is ServerError), !(cause is any HTTPResponseConvertible) {
      self.init(cause)
    } else if let decoding = error.underlyingError as? DecodingError {
      self = .badRequest("the request is not valid: \(Self.describe(decoding))")
    } else if (400..<500).contains(error.httpStatus.code) {
      self = .badRequest("the request is not valid: \(error.causeDescription)")
    } else {
      self.init(.internalServerError, code: ._internal, "\(error.causeDescription): \(error.underlyingError)")
    }
  }

  /// What a handler of the generated server threw, which OpenAPIRuntime
  /// wraps in a `ServerError`; `error` itself for anything else, and for a
  /// request the generated code could not read.
  static func cause(of error: any Error) -> any Error {
    guard let server = error as? ServerError, server.operationInput != nil else { return error }
    return server.underlyingError
  }

  init(sandbox error: SandboxError) {
    switch error.kind {
    case .notFound: self.init(.notFound, code: .notFound, error.description)
    case .conflict: self.init(.conflict, code: .conflict, error.description)
    case .invalid: self.init(.badRequest, code: .invalidRequest, error.description)
    case .tooMany:
      let code: ErrorCode =
        switch error {
        case .memoryBudgetExceeded: .memoryBudgetExceeded
        case .tooManyTemplates: .tooManyTemplates
        default: .tooManySandboxes
        }
      self.init(.tooManyRequests, code: code, error.description)
    case .unavailable: self.init(.serviceUnavailable, code: .unavailable, error.description)
    case .storage: self.init(Self.insufficientStorage, code: .insufficientStorage, error.description)
    case .failed: self.init(.internalServerError, code: .bootFailed, error.description)
    }
  }

  /// The guest's refusal or failure, as the HTTP status a client expects:
  /// decided by the error's code alone.
  init(guest error: GuestError) {
    let message = error.message
    switch error.code {
    case .notFound: self.init(.notFound, code: .notFound, message)
    case .alreadyExists: self.init(.conflict, code: .alreadyExists, message)
    case .permissionDenied: self.init(.forbidden, code: .permissionDenied, message)
    case .invalidArgument, .outOfRange: self.init(.badRequest, code: .invalidRequest, message)
    case .failedPrecondition: self.init(.conflict, code: .failedPrecondition, message)
    case .resourceExhausted: self.init(.tooManyRequests, code: .resourceExhausted, message)
    case .noSpace: self.init(Self.insufficientStorage, code: .resourceExhausted, message)
    case .deadlineExceeded: self.init(.gatewayTimeout, code: .timeout, message)
    case .unavailable, .cancelled: self.init(.serviceUnavailable, code: .agentUnavailable, message)
    case .aborted, .unimplemented, .unauthenticated, .dataLoss, .internalError, .unknown:
      self.init(.badGateway, code: .agentError, "\(error.code): \(message)")
    }
  }

  static let insufficientStorage = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")

  static func code(for status: HTTPResponse.Status) -> ErrorCode {
    switch status {
    case .notFound: .notFound
    case .unauthorized: .unauthorized
    case .contentTooLarge: .tooLarge
    case .methodNotAllowed: .methodNotAllowed
    case .badRequest: .invalidRequest
    default: status.code < 500 ? .clientError : ._internal
    }
  }

  static func describe(_ error: DecodingError) -> String {
    switch error {
    case .keyNotFound(let key, _): "missing field \(key.stringValue)"
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
      // A query or path parameter has no coding path: its own description names it.
      context.codingPath.isEmpty
        ? context.debugDescription : "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
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
    guard let id, let guest = cause(of: error) as? GuestError, guest.isBrokenCall else {
      return apiError
    }
    let record: SandboxRecord
    do {
      record = try await manager.get(id)
    } catch {
      return APIError(.gone, code: .sandboxDeleted, "sandbox \(id) was deleted while \(operation) ran")
    }
    switch record.state {
    case .stopping, .stopped, .error:
      if let reason = record.error {
        return APIError(.conflict, code: .sandboxStopped, "sandbox \(id) stopped (\(reason)) while \(operation) ran")
      }
      return APIError(.gone, code: .sandboxDeleted, "sandbox \(id) was deleted while \(operation) ran")
    case .snapshotting, .suspended:
      return APIError(.conflict, code: .sandboxSuspended, "sandbox \(id) was suspended while \(operation) ran")
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
