import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// One HTTP/2 frame as it crossed the wire.
struct RawFrame {
  enum Kind: UInt8 {
    case data = 0, headers = 1, rstStream = 3, settings = 4, ping = 6, goAway = 7, windowUpdate = 8
  }
  var type: UInt8
  var flags: UInt8
  var stream: UInt32
  var payload: [UInt8]
  var kind: Kind? { Kind(rawValue: type) }

  /// The parameters of a SETTINGS frame.
  var settings: [UInt16: UInt32] {
    var result: [UInt16: UInt32] = [:]
    var at = 0
    while at + 6 <= payload.count {
      let id = UInt16(payload[at]) << 8 | UInt16(payload[at + 1])
      let value = payload[(at + 2)..<(at + 6)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
      result[id] = value
      at += 6
    }
    return result
  }
}

/// A client that speaks HTTP/2 frame by frame on the agent's Unix socket,
/// so that a test can do what a well-behaved gRPC client never does: reset
/// a stream, drop the connection, sit idle.
final class RawHTTP2Connection: Sendable {
  static let maxConcurrentStreams: UInt16 = 0x3
  let fd: Int32

  init(socketPath: String) throws {
    fd = try Self.connect(socketPath)
    var timeout = timeval(tv_sec: 30, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    try writeAll(Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8))
    try send(.settings, flags: 0, stream: 0, payload: [])
  }

  /// Whether something accepts connections on the socket now.
  static func canConnect(socketPath: String) -> Bool {
    guard let fd = try? connect(socketPath) else { return false }
    Glibc.close(fd)
    return true
  }

  private static func connect(_ socketPath: String) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError("socket: \(errno)") }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (i, byte) in socketPath.utf8.enumerated() { raw[i] = byte }
    }
    let rc = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard rc == 0 else {
      let err = errno
      Glibc.close(fd)
      throw HarnessError("connect to \(socketPath): errno \(err)")
    }
    return fd
  }

  func close() { Glibc.close(fd) }

  func send(_ kind: RawFrame.Kind, flags: UInt8, stream: UInt32, payload: [UInt8]) throws {
    let length = UInt32(payload.count)
    var frame: [UInt8] = [
      UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), kind.rawValue, flags,
    ]
    frame += [UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)]
    try writeAll(frame + payload)
  }

  /// Opens a gRPC call on `stream` and sends `message` as its one request.
  func startCall(stream: UInt32, path: String, message: [UInt8], endStream: Bool = true) throws {
    let headers = [
      (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "localhost"),
      ("content-type", "application/grpc"), ("te", "trailers"),
    ]
    // HPACK: each header a literal without indexing, with a literal name, no Huffman.
    var block: [UInt8] = []
    for (name, value) in headers {
      block.append(0)
      for string in [name, value] {
        let bytes = Array(string.utf8)
        precondition(bytes.count < 127)
        block.append(UInt8(bytes.count))
        block += bytes
      }
    }
    try send(.headers, flags: 0x4, stream: stream, payload: block)  // END_HEADERS
    let length = UInt32(message.count)
    let prefix: [UInt8] = [
      0, UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff),
    ]
    try send(.data, flags: endStream ? 0x1 : 0, stream: stream, payload: prefix + message)
  }

  /// Resets `stream` with CANCEL, as a client that gave up does.
  func reset(stream: UInt32) throws {
    try send(.rstStream, flags: 0, stream: stream, payload: [0, 0, 0, 8])
  }

  /// The next frame, or nil when the agent closed the connection.
  func readFrame() throws -> RawFrame? {
    guard let head = try readExactly(9) else { return nil }
    let length = Int(head[0]) << 16 | Int(head[1]) << 8 | Int(head[2])
    let stream = (UInt32(head[5]) << 24 | UInt32(head[6]) << 16 | UInt32(head[7]) << 8 | UInt32(head[8])) & 0x7fff_ffff
    guard let payload = try readExactly(length) else { return nil }
    return RawFrame(type: head[3], flags: head[4], stream: stream, payload: payload)
  }

  private func readExactly(_ count: Int) throws -> [UInt8]? {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: max(count, 1))
    while bytes.count < count {
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, count - bytes.count) }
      if n < 0 && errno == EINTR { continue }
      if n < 0 { throw HarnessError("read: errno \(errno)") }
      if n == 0 { return nil }
      bytes += buffer[0..<n]
    }
    return bytes
  }

  private func writeAll(_ bytes: [UInt8]) throws {
    var offset = 0
    while offset < bytes.count {
      let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { throw HarnessError("write: errno \(errno)") }
      offset += n
    }
  }
}
