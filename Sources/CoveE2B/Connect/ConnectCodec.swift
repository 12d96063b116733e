import Foundation
import NIOCore
import SwiftProtobuf

/// The message encoding of a Connect call, from its Content-Type: JSON
/// (what E2B's SDKs send) or binary protobuf.
public enum ConnectCodec: String, Sendable {
  case json, proto

  /// The codec of a unary call (`application/json`, `application/proto`).
  public init?(unaryContentType: String) {
    switch Self.mediaType(unaryContentType) {
    case "application/json": self = .json
    case "application/proto": self = .proto
    default: return nil
    }
  }

  /// The codec of a streaming call (`application/connect+json`, `+proto`).
  public init?(streamContentType: String) {
    switch Self.mediaType(streamContentType) {
    case "application/connect+json": self = .json
    case "application/connect+proto": self = .proto
    default: return nil
    }
  }

  public var unaryContentType: String { "application/\(rawValue)" }
  public var streamContentType: String { "application/connect+\(rawValue)" }

  /// Decodes a message; unknown JSON fields are skipped (as the SDK's own
  /// codec does), so a newer SDK's additions do not break a call.
  public func decode<M: Message>(_ bytes: ByteBuffer, as type: M.Type) throws(ConnectError) -> M {
    do {
      switch self {
      case .json:
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        // An empty body is the empty message.
        if bytes.readableBytes == 0 { return M() }
        return try M(jsonUTF8Bytes: Array(bytes.readableBytesView), options: options)
      case .proto:
        return try M(serializedBytes: Array(bytes.readableBytesView))
      }
    } catch {
      throw ConnectError(.invalidArgument, "the request is not a valid \(M.protoMessageName) (\(rawValue)): \(error)")
    }
  }

  public func encode(_ message: some Message) throws(ConnectError) -> ByteBuffer {
    do {
      switch self {
      case .json: return ByteBuffer(bytes: try message.jsonUTF8Bytes() as [UInt8])
      case .proto: return ByteBuffer(bytes: try message.serializedBytes() as [UInt8])
      }
    } catch {
      throw ConnectError(.internal, "could not encode \(type(of: message).protoMessageName): \(error)")
    }
  }

  private static func mediaType(_ contentType: String) -> String {
    contentType.split(separator: ";", maxSplits: 1).first.map {
      $0.trimmingCharacters(in: .whitespaces).lowercased()
    } ?? ""
  }
}
