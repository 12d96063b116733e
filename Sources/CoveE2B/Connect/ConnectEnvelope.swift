import NIOCore

/// One message of a Connect stream: a flags byte, a 4-byte big-endian
/// length, then that many bytes. Streams in both directions use it; unary
/// calls do not.
public struct ConnectEnvelope: Sendable, Equatable {
  public struct Flags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The payload is compressed (Cove accepts none, and sends none).
    public static let compressed = Flags(rawValue: 0x01)
    /// The last message of a response stream: a JSON object with the error
    /// (if any) and trailers, whatever the stream's codec.
    public static let endStream = Flags(rawValue: 0x02)
  }

  public var flags: Flags
  public var payload: ByteBuffer

  public init(flags: Flags = [], payload: ByteBuffer) {
    self.flags = flags
    self.payload = payload
  }

  public static let headerBytes = 5

  /// The envelope's bytes, ready to write.
  public func encoded() -> ByteBuffer {
    var buffer = ByteBuffer()
    buffer.reserveCapacity(Self.headerBytes + payload.readableBytes)
    buffer.writeInteger(flags.rawValue)
    buffer.writeInteger(UInt32(payload.readableBytes), endianness: .big)
    buffer.writeImmutableBuffer(payload)
    return buffer
  }
}

/// Why a stream's bytes are not a valid sequence of envelopes.
public enum ConnectFramingError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A message longer than the server takes.
  case messageTooLarge(length: Int, limit: Int)
  /// The body ended inside an envelope.
  case truncated(have: Int, need: Int)
  /// A compressed message, which was not negotiated.
  case compressed
  /// Flag bits this version of the protocol does not define.
  case unknownFlags(UInt8)

  public var description: String {
    switch self {
    case .messageTooLarge(let length, let limit):
      "a message of \(length) bytes is over the limit of \(limit) bytes"
    case .truncated(let have, let need): "the stream ended inside a message (\(have) of \(need) bytes)"
    case .compressed: "a compressed message, but no compression was negotiated"
    case .unknownFlags(let flags): "an envelope with unknown flags 0x\(String(flags, radix: 16))"
    }
  }
}

/// Cuts a byte stream into envelopes as its pieces arrive: pieces may split
/// an envelope anywhere, including inside its 5-byte header. Parsing is
/// apart from I/O, so it is tested with bytes alone.
public struct ConnectEnvelopeReader: Sendable {
  private var pending = ByteBuffer()
  public let maxMessageBytes: Int

  public init(maxMessageBytes: Int) { self.maxMessageBytes = maxMessageBytes }

  /// Adds bytes that arrived.
  public mutating func append(_ bytes: ByteBuffer) {
    var bytes = bytes
    pending.writeBuffer(&bytes)
  }

  /// The next whole envelope, or nil until more bytes arrive. A length over
  /// the limit fails as soon as the header is read, before its bytes come.
  public mutating func next() throws(ConnectFramingError) -> ConnectEnvelope? {
    guard pending.readableBytes >= ConnectEnvelope.headerBytes,
      let flagBits = pending.getInteger(at: pending.readerIndex, as: UInt8.self),
      let length = pending.getInteger(at: pending.readerIndex + 1, endianness: .big, as: UInt32.self)
    else { return nil }
    let flags = ConnectEnvelope.Flags(rawValue: flagBits)
    guard flags.isSubset(of: [.compressed, .endStream]) else { throw .unknownFlags(flagBits) }
    guard !flags.contains(.compressed) else { throw .compressed }
    guard Int(length) <= maxMessageBytes else { throw .messageTooLarge(length: Int(length), limit: maxMessageBytes) }
    guard pending.readableBytes >= ConnectEnvelope.headerBytes + Int(length) else { return nil }
    pending.moveReaderIndex(forwardBy: ConnectEnvelope.headerBytes)
    let payload = pending.readSlice(length: Int(length)) ?? ByteBuffer()
    if pending.readableBytes == 0 { pending.clear() } else { pending.discardReadBytes() }
    return ConnectEnvelope(flags: flags, payload: payload)
  }

  /// Checks that the stream ended between envelopes.
  public func finish() throws(ConnectFramingError) {
    guard pending.readableBytes > 0 else { return }
    let need =
      pending.readableBytes >= ConnectEnvelope.headerBytes
      ? ConnectEnvelope.headerBytes
        + Int(pending.getInteger(at: pending.readerIndex + 1, endianness: .big, as: UInt32.self) ?? 0)
      : ConnectEnvelope.headerBytes
    throw .truncated(have: pending.readableBytes, need: need)
  }
}
