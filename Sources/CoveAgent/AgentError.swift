import GRPCCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The one error type of the agent: a code that maps to a gRPC status, a
/// message for people and, where there is one, the errno behind it.
public struct AgentError: Error, CustomStringConvertible, Sendable {
  public enum Code: Sendable {
    case invalidArgument, notFound, alreadyExists, permissionDenied
    case failedPrecondition, resourceExhausted, unavailable, internalError
  }

  public var code: Code
  public var message: String
  public var errno: Int32?

  public init(_ code: Code, _ message: String, errno: Int32? = nil) {
    self.code = code
    self.message = message
    self.errno = errno
  }

  public var description: String { message }

  /// An error for a failed system call on `path`, worded the way a user reads it.
  public static func system(_ operation: String, _ path: String, errno err: Int32) -> AgentError {
    let reason: String
    let code: Code
    switch err {
    case ENOENT: (code, reason) = (.notFound, "no such file or directory")
    case EEXIST: (code, reason) = (.alreadyExists, "already exists")
    case EACCES, EPERM: (code, reason) = (.permissionDenied, "permission denied")
    case EISDIR: (code, reason) = (.failedPrecondition, "is a directory")
    case ENOTDIR: (code, reason) = (.failedPrecondition, "not a directory")
    case ENOTEMPTY: (code, reason) = (.failedPrecondition, "directory not empty")
    case ENOSPC, EDQUOT: (code, reason) = (.resourceExhausted, "no space left on device")
    case ENAMETOOLONG: (code, reason) = (.invalidArgument, "file name too long")
    case EINVAL: (code, reason) = (.invalidArgument, "invalid argument")
    case EXDEV: (code, reason) = (.failedPrecondition, "cross-device rename")
    case ELOOP: (code, reason) = (.failedPrecondition, "too many levels of symbolic links")
    case EBUSY: (code, reason) = (.failedPrecondition, "busy (a mount point, or in use)")
    case ETXTBSY: (code, reason) = (.failedPrecondition, "a program that is running")
    case EROFS: (code, reason) = (.failedPrecondition, "read-only file system")
    case EFBIG: (code, reason) = (.resourceExhausted, "file too large")
    case EMLINK: (code, reason) = (.resourceExhausted, "too many links")
    default: (code, reason) = (.internalError, String(cString: strerror(err)))
    }
    return AgentError(code, "\(operation) \(path): \(reason)", errno: err)
  }

  /// The gRPC status the client receives.
  public var rpcError: RPCError {
    let status: RPCError.Code
    switch code {
    case .invalidArgument: status = .invalidArgument
    case .notFound: status = .notFound
    case .alreadyExists: status = .alreadyExists
    case .permissionDenied: status = .permissionDenied
    case .failedPrecondition: status = .failedPrecondition
    case .resourceExhausted: status = .resourceExhausted
    case .unavailable: status = .unavailable
    case .internalError: status = .internalError
    }
    // The errno travels beside the status so that the host can tell a full
    // disk from other exhausted resources without reading the message.
    let metadata: Metadata = errno.map { ["cove-errno": "\($0)"] } ?? [:]
    return RPCError(code: status, message: message, metadata: metadata)
  }
}

/// Runs `body`, turning an ``AgentError`` into the gRPC status it stands for.
func mappingErrors<T>(_ body: () async throws -> T) async throws -> T {
  do {
    return try await body()
  } catch let error as AgentError {
    throw error.rpcError
  }
}
