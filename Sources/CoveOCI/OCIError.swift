/// What can go wrong while pulling, importing or unpacking an OCI image.
/// Each case names its cause in words a user can act on; `underlying`
/// keeps the error that caused it where there is one.
public struct OCIError: Error, CustomStringConvertible, Sendable {
  public enum Code: String, Sendable, Equatable {
    /// The reference does not parse.
    case invalidReference
    /// The registry has no such repository, tag or digest.
    case notFound
    /// The registry refused the credentials, or wants some and none were given.
    case unauthorized
    /// Bytes whose digest is not the one asked for.
    case digestMismatch
    /// Fewer or more bytes than the descriptor said.
    case sizeMismatch
    /// A blob larger than the configured limit.
    case tooLarge
    /// A media type, manifest schema or platform Cove does not handle.
    case unsupported
    /// A manifest, index, configuration or archive that does not decode.
    case invalidContent
    /// The registry answered with an unexpected status or could not be reached.
    case registry
    /// A layer entry Cove refuses to unpack, or a failure writing it.
    case unpack
    /// Reading or writing local files.
    case io
  }

  public var code: Code
  public var message: String
  public var underlying: (any Error)?

  public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
    self.code = code
    self.message = message
    self.underlying = underlying
  }

  public var description: String {
    guard let underlying else { return message }
    return "\(message): \(underlying)"
  }
}

#if canImport(Glibc)
  import Glibc
#endif

/// The text of the C library's message for `number`.
func errnoText(_ number: Int32) -> String { String(cString: strerror(number)) }
