import Crypto
import Foundation

/// A content digest, `sha256:` and 64 lowercase hex digits. Only SHA-256 is
/// taken: it is what every registry and tool writes, and a digest Cove
/// cannot check is worse than a refusal.
public struct Digest: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
  public let hex: String

  public init(parsing text: String) throws(OCIError) {
    guard text.hasPrefix("sha256:") else {
      throw OCIError(.unsupported, "digest \(text) is not sha256 (the only algorithm Cove checks)")
    }
    let hex = text.dropFirst(7)
    let valid = hex.utf8.count == 64 && hex.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    guard valid else { throw OCIError(.invalidContent, "malformed digest \(text)") }
    self.hex = String(hex)
  }

  public init(hashing bytes: some DataProtocol) {
    self.init(hex: SHA256.hash(data: bytes))
  }

  init(hex digest: SHA256.Digest) {
    self.hex = digest.map { String(format: "%02x", $0) }.joined()
  }

  public var description: String { "sha256:\(hex)" }
  /// The first 12 hex digits, as tools show a digest to people.
  public var short: String { String(hex.prefix(12)) }

  public static func < (a: Digest, b: Digest) -> Bool { a.hex < b.hex }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    do { try self.init(parsing: text) } catch { throw error }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}
