import CoveMachine
import CoveSandbox
import Foundation
import HTTPTypes
import Hummingbird

/// An error of the E2B control plane (and of envd's plain HTTP routes) in
/// the shape the SDK reads: `{"code": <HTTP status>, "message": "..."}`.
/// An empty body would make the SDK fail on decoding instead of raising its
/// own exception (NotFound, Authentication, ...).
public struct E2BError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
  public var status: HTTPResponse.Status
  public var message: String

  public init(_ status: HTTPResponse.Status, _ message: String) {
    self.status = status
    self.message = message
  }

  public var description: String { "\(status.code): \(message)" }

  public func response(from request: Request, context: some RequestContext) throws -> Response {
    let body =
      (try? JSONSerialization.data(withJSONObject: ["code": status.code, "message": message] as [String: Any]))
    return Response(
      status: status, headers: [.contentType: "application/json"],
      body: ResponseBody(byteBuffer: ByteBuffer(data: body ?? Data())))
  }

  static func badRequest(_ message: String) -> E2BError { E2BError(.badRequest, message) }

  /// The status E2B gives each class of the manager's refusals.
  init(_ error: SandboxError) {
    let status: HTTPResponse.Status =
      switch error.kind {
      case .notFound: .notFound
      case .conflict: .conflict
      case .invalid: .badRequest
      case .tooMany: .tooManyRequests
      case .unavailable: .serviceUnavailable
      case .storage: HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
      case .failed: .internalServerError
      }
    self.init(status, error.description)
  }

  /// The same for a guest call on envd's plain HTTP routes (`/files`).
  init(_ error: GuestError) {
    let status: HTTPResponse.Status =
      switch error.code {
      case .notFound: .notFound
      case .alreadyExists, .aborted: .conflict
      case .invalidArgument, .outOfRange, .failedPrecondition: .badRequest
      case .permissionDenied: .forbidden
      case .resourceExhausted: .tooManyRequests
      case .noSpace: HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
      case .deadlineExceeded: .gatewayTimeout
      case .unavailable, .cancelled: .badGateway
      case .unauthenticated: .unauthorized
      case .unimplemented: .notImplemented
      case .dataLoss, .internalError, .unknown: .internalServerError
      }
    self.init(status, error.message)
  }

  /// Any error of a handler, in E2B's shape.
  static func from(_ error: any Error) -> E2BError {
    switch error {
    case let error as E2BError: error
    case let error as SandboxError: E2BError(error)
    case let error as GuestError: E2BError(error)
    case let error as HTTPError: E2BError(error.status, error.body ?? "\(error.status.reasonPhrase)")
    default: E2BError(.internalServerError, "\(error)")
    }
  }
}

/// Turns every error a control-plane or `/files` handler throws into
/// E2B's shape.
struct E2BErrorMiddleware: RouterMiddleware {
  typealias Context = E2BRequestContext

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    do {
      return try await next(request, context)
    } catch {
      throw E2BError.from(error)
    }
  }
}
