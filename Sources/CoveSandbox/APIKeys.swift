import Crypto
import Foundation

/// API keys: made from 32 random bytes, shown once, stored as a SHA-256.
public struct APIKeys: Sendable {
  public let store: SandboxStore

  public init(store: SandboxStore) { self.store = store }

  /// Makes a new key and returns it (the only time it is seen) with its record.
  public func create(name: String) async throws -> (key: String, record: APIKeyRecord) {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    let key = "cove_" + bytes.map { String(format: "%02x", $0) }.joined()
    let record = APIKeyRecord(
      id: String(key.prefix(13)), hash: Self.hash(key), name: name, createdAt: Date())
    try await store.insert(record)
    return (key, record)
  }

  /// The key's record when `key` is a valid key.
  public func verify(_ key: String) async throws -> APIKeyRecord? {
    guard key.hasPrefix("cove_"), key.utf8.count < 200 else { return nil }
    return try await store.key(hash: Self.hash(key))
  }

  static func hash(_ key: String) -> String {
    SHA256.hash(data: Data(key.utf8)).map { String(format: "%02x", $0) }.joined()
  }
}
