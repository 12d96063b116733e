import CoveE2BProto
import Foundation
import NIOCore
import Testing

@testable import CoveE2B

@Suite("Connect envelopes")
struct ConnectEnvelopeTests {
  static func bytes(_ envelopes: [ConnectEnvelope]) -> ByteBuffer {
    var buffer = ByteBuffer()
    for envelope in envelopes {
      var encoded = envelope.encoded()
      buffer.writeBuffer(&encoded)
    }
    return buffer
  }

  @Test("an envelope is a flags byte, a big-endian length and the payload")
  func encoding() {
    let encoded = ConnectEnvelope(flags: .endStream, payload: ByteBuffer(string: "{}")).encoded()
    #expect(Array(encoded.readableBytesView) == [0x02, 0, 0, 0, 2, UInt8(ascii: "{"), UInt8(ascii: "}")])
  }

  @Test("envelopes split anywhere, even inside a header, come out whole and in order")
  func splitAnywhere() throws {
    let sent = [
      ConnectEnvelope(payload: ByteBuffer(string: "first")), ConnectEnvelope(payload: ByteBuffer()),
      ConnectEnvelope(payload: ByteBuffer(string: String(repeating: "x", count: 300))),
      ConnectEnvelope(flags: .endStream, payload: ByteBuffer(string: "{}")),
    ]
    let all = Array(Self.bytes(sent).readableBytesView)
    for piece in [1, 2, 3, 5, 7, 64, all.count] {
      var reader = ConnectEnvelopeReader(maxMessageBytes: 1 << 20)
      var received: [ConnectEnvelope] = []
      var offset = 0
      while offset < all.count {
        reader.append(ByteBuffer(bytes: all[offset..<min(all.count, offset + piece)]))
        offset += piece
        while let envelope = try reader.next() { received.append(envelope) }
      }
      try reader.finish()
      #expect(received == sent, "pieces of \(piece) bytes")
    }
  }

  @Test("a length over the limit fails as soon as the header is read")
  func oversized() {
    var reader = ConnectEnvelopeReader(maxMessageBytes: 16)
    reader.append(ByteBuffer(bytes: [0, 0, 0, 0, 17]))
    #expect(throws: ConnectFramingError.messageTooLarge(length: 17, limit: 16)) { try reader.next() }
  }

  @Test("a body that ends inside an envelope is truncated, not a short message")
  func truncated() throws {
    var reader = ConnectEnvelopeReader(maxMessageBytes: 1 << 20)
    reader.append(ByteBuffer(bytes: [0, 0, 0, 0, 10, 1, 2, 3]))
    #expect(try reader.next() == nil)
    #expect(throws: ConnectFramingError.truncated(have: 8, need: 15)) { try reader.finish() }
    var header = ConnectEnvelopeReader(maxMessageBytes: 1 << 20)
    header.append(ByteBuffer(bytes: [0, 0]))
    #expect(throws: ConnectFramingError.truncated(have: 2, need: 5)) { try header.finish() }
  }

  @Test("compressed messages and unknown flags are refused")
  func flags() {
    var compressed = ConnectEnvelopeReader(maxMessageBytes: 1 << 20)
    compressed.append(ByteBuffer(bytes: [1, 0, 0, 0, 0]))
    #expect(throws: ConnectFramingError.compressed) { try compressed.next() }
    var unknown = ConnectEnvelopeReader(maxMessageBytes: 1 << 20)
    unknown.append(ByteBuffer(bytes: [0x80, 0, 0, 0, 0]))
    #expect(throws: ConnectFramingError.unknownFlags(0x80)) { try unknown.next() }
  }

  @Test("the end-of-stream message is {} on success and carries the error's code and message")
  func endOfStream() throws {
    #expect(ConnectError.endOfStream(nil) == Data("{}".utf8))
    let data = ConnectError.endOfStream(ConnectError(.notFound, "process 7 not found"))
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: String]])
    #expect(object["error"] == ["code": "not_found", "message": "process 7 not found"])
  }

  @Test("codes map to the Connect protocol's HTTP statuses")
  func statuses() {
    #expect(ConnectError.Code.notFound.httpStatus.code == 404)
    #expect(ConnectError.Code.unauthenticated.httpStatus.code == 401)
    #expect(ConnectError.Code.resourceExhausted.httpStatus.code == 429)
    #expect(ConnectError.Code.canceled.httpStatus.code == 499)
    #expect(ConnectError.Code.unimplemented.httpStatus.code == 501)
  }
}

@Suite("Connect codecs")
struct ConnectCodecTests {
  @Test("content types pick the codec; others are refused")
  func contentTypes() {
    #expect(ConnectCodec(unaryContentType: "application/json; charset=utf-8") == .json)
    #expect(ConnectCodec(unaryContentType: "application/proto") == .proto)
    #expect(ConnectCodec(streamContentType: "application/connect+json") == .json)
    #expect(ConnectCodec(streamContentType: "application/connect+proto") == .proto)
    #expect(ConnectCodec(streamContentType: "application/json") == nil)
    #expect(ConnectCodec(unaryContentType: "text/plain") == nil)
  }

  @Test("JSON as the SDK writes it (camelCase, base64 bytes, unknown fields) decodes; both codecs round-trip")
  func roundTrip() throws {
    let json =
      #"{"process":{"cmd":"/bin/bash","args":["-l","-c","echo hi"],"envs":{"A":"1"}},"stdin":false,"future":1}"#
    let request = try ConnectCodec.json.decode(ByteBuffer(string: json), as: Process_StartRequest.self)
    #expect(request.process.args == ["-l", "-c", "echo hi"])
    #expect(request.hasStdin && !request.stdin)
    #expect(!request.process.hasCwd)
    for codec in [ConnectCodec.json, .proto] {
      let event = Process_StartResponse.with { $0.event.data.stdout = Data("hi\n".utf8) }
      #expect(try codec.decode(try codec.encode(event), as: Process_StartResponse.self) == event)
    }
    let encoded = try ConnectCodec.json.encode(Process_StartResponse.with { $0.event.data.stdout = Data("hi\n".utf8) })
    #expect(String(buffer: encoded) == #"{"event":{"data":{"stdout":"aGkK"}}}"#)
  }

  @Test("a message that is not the expected one is invalid_argument")
  func invalid() {
    #expect(throws: ConnectError.self) {
      try ConnectCodec.json.decode(ByteBuffer(string: "{\"process\": 5}"), as: Process_StartRequest.self)
    }
  }
}
