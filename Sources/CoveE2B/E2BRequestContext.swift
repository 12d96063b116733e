import Foundation
import Hummingbird

/// The per-request context of the E2B listener.
public struct E2BRequestContext: RequestContext {
  public var coreContext: CoreRequestContextStorage

  public init(source: Source) { coreContext = .init(source: source) }

  /// JSON bodies of the control plane are small; files travel as streams.
  public var maxUploadSize: Int { 1 << 20 }

  public var responseEncoder: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return encoder
  }
}
