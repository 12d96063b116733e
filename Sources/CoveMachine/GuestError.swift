/// Why a call to the guest failed: the agent's answer (a status like the
/// gRPC canonical codes, which the agent's errors map to) or a broken
/// channel, with the message and the underlying error kept.
///
/// Callers decide on ``code``, never on ``message``, which is for people.
public struct GuestError: Error, Sendable, CustomStringConvertible {
  public enum Code: Sendable, Equatable {
    case notFound, alreadyExists, invalidArgument, outOfRange, permissionDenied, failedPrecondition
    /// A limit of the guest (processes, file size, links), not its disk.
    case resourceExhausted
    /// The guest's disk (or the user's quota on it) is full.
    case noSpace
    case deadlineExceeded
    /// The agent cannot be reached, or went away during the call.
    case unavailable
    case cancelled, aborted, unimplemented, unauthenticated, dataLoss, internalError, unknown
  }

  public var code: Code
  public var message: String
  /// What the transport reported, when the error came from it.
  public var cause: (any Error)?

  public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
    self.code = code
    self.message = message
    self.cause = cause
  }

  public var description: String { "\(code): \(message)" }

  /// Whether the call broke on its way rather than being refused: the
  /// channel went away or the call was cut. When the sandbox is deleted,
  /// stopped or suspended during a call, this is what the call sees.
  public var isBrokenCall: Bool { [.unavailable, .cancelled, .unknown].contains(code) }
}
