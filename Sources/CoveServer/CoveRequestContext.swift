import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The per-request context: Hummingbird's, plus the caller's API key id.
public struct CoveRequestContext: RequestContext, WebSocketRequestContext {
  public var coreContext: CoreRequestContextStorage
  public let webSocket = WebSocketHandlerReference<CoveRequestContext>()
  /// The id of the key that authenticated the request.
  public var keyID: String?
  /// The connection, for answers that must be written past Hummingbird
  /// (a refused WebSocket upgrade; see ``WebSocketRefusalMiddleware``).
  let channel: any Channel

  public init(source: Source) {
    coreContext = .init(source: source)
    channel = source.channel
  }

  /// JSON bodies of API calls are small; files travel as raw streams.
  public var maxUploadSize: Int { Self.jsonBodyLimit }
  static let jsonBodyLimit = 1 << 20

  public var responseEncoder: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return encoder
  }
}
