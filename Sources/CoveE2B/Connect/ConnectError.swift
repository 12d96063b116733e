import Foundation
import HTTPTypes

/// A Connect error: one of the protocol's codes and a message for people.
/// On a unary call it is the response (an HTTP status and a JSON body); on
/// a stream it goes in the end-of-stream message.
public struct ConnectError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The codes of the Connect protocol (the gRPC ones, in snake case).
  public enum Code: String, Sendable, CaseIterable {
    case canceled, unknown
    case invalidArgument = "invalid_argument"
    case deadlineExceeded = "deadline_exceeded"
    case notFound = "not_found"
    case alreadyExists = "already_exists"
    case permissionDenied = "permission_denied"
    case resourceExhausted = "resource_exhausted"
    case failedPrecondition = "failed_precondition"
    case aborted
    case outOfRange = "out_of_range"
    case unimplemented, `internal`, unavailable
    case dataLoss = "data_loss"
    case unauthenticated

    /// The HTTP status of a unary call that fails with this code.
    public var httpStatus: HTTPResponse.Status {
      switch self {
      case .canceled: HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request")
      case .unknown, .internal, .dataLoss: .internalServerError
      case .invalidArgument, .failedPrecondition, .outOfRange: .badRequest
      case .deadlineExceeded: .gatewayTimeout
      case .notFound: .notFound
      case .alreadyExists, .aborted: .conflict
      case .permissionDenied: .forbidden
      case .resourceExhausted: .tooManyRequests
      case .unimplemented: .notImplemented
      case .unavailable: .serviceUnavailable
      case .unauthenticated: .unauthorized
      }
    }
  }

  public var code: Code
  public var message: String

  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { "\(code.rawValue): \(message)" }

  /// The JSON object of the error: `{"code": ..., "message": ...}`.
  public var json: [String: String] { ["code": code.rawValue, "message": message] }

  /// The body of a unary error response.
  public func unaryBody() -> Data {
    (try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])) ?? Data()
  }

  /// The payload of a stream's end-of-stream message: `{}` for success,
  /// or `{"error": {...}}`.
  public static func endOfStream(_ error: ConnectError?) -> Data {
    let object: [String: Any] = error.map { ["error": $0.json] } ?? [:]
    return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
  }
}
