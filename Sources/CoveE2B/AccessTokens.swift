import Crypto
import Foundation

/// The per-sandbox tokens of the E2B API: `envdAccessToken`, which every
/// envd call carries in `X-Access-Token`, and `trafficAccessToken`. They
/// are HMACs of the sandbox id under a secret kept in the daemon's data
/// directory, so they need no table and stay valid across restarts of the
/// daemon, and a token of one sandbox opens no other.
public struct AccessTokens: Sendable {
  private let key: SymmetricKey

  public init(key: SymmetricKey) { self.key = key }

  /// The tokens under the secret in `directory`/e2b-token-secret, made
  /// (32 random bytes, mode 0600) the first time.
  public init(directory: String) throws {
    let path = directory + "/e2b-token-secret"
    if let data = FileManager.default.contents(atPath: path), data.count == 32 {
      self.init(key: SymmetricKey(data: data))
      return
    }
    let key = SymmetricKey(size: .bits256)
    let data = key.withUnsafeBytes { Data($0) }
    guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
      throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
    }
    self.init(key: key)
  }

  public func envd(_ sandboxID: String) -> String { token("envd", sandboxID) }
  public func traffic(_ sandboxID: String) -> String { token("traffic", sandboxID) }

  /// Whether `presented` is sandbox `sandboxID`'s envd token (compared in
  /// constant time).
  public func verifyEnvd(_ presented: String, for sandboxID: String) -> Bool {
    let expected = Array(envd(sandboxID).utf8)
    let given = Array(presented.utf8)
    guard expected.count == given.count else { return false }
    return zip(expected, given).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
  }

  private func token(_ purpose: String, _ sandboxID: String) -> String {
    let mac = HMAC<SHA256>.authenticationCode(for: Data("\(purpose):\(sandboxID)".utf8), using: key)
    return Data(mac).prefix(24).map { String(format: "%02x", $0) }.joined()
  }
}
