import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// One HTTP/1.1 exchange over a fresh TCP connection to 127.0.0.1, written
/// by hand so that the test sees exactly what went over the wire.
struct RawHTTPResponse {
  var status: Int
  var head: String
  var body: [UInt8]
  var text: String { String(decoding: body, as: UTF8.self) }
}

enum RawHTTP {
  /// A TCP port nothing listens on now.
  static func freePort() throws -> UInt32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError("socket: \(errno)") }
    defer { close(fd) }
    var address = loopback(port: 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
      }
    }
    guard bound else { throw HarnessError("bind: \(errno)") }
    return UInt32(UInt16(bigEndian: address.sin_port))
  }

  static func canConnect(port: UInt32) -> Bool {
    guard let fd = try? connect(port: port) else { return false }
    close(fd)
    return true
  }

  static func send(port: UInt32, method: String = "POST", path: String, body: [UInt8] = []) throws
    -> RawHTTPResponse
  {
    let fd = try connect(port: port)
    defer { close(fd) }
    let request =
      Array(
        "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
          .utf8) + body
    var offset = 0
    while offset < request.count {
      let n = request[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      guard n > 0 else { throw HarnessError("write: \(errno)") }
      offset += n
    }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { break }
      received += buffer[0..<n]
    }
    let separator: [UInt8] = Array("\r\n\r\n".utf8)
    guard let end = (0...max(0, received.count - 4)).first(where: { Array(received[$0..<$0 + 4]) == separator })
    else { throw HarnessError("no HTTP response head in \(received.count) bytes") }
    let head = String(decoding: received[..<end], as: UTF8.self)
    let statusWord = head.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    guard let status = statusWord else { throw HarnessError("bad status line: \(head)") }
    return RawHTTPResponse(status: status, head: head, body: Array(received[(end + 4)...]))
  }

  private static func connect(port: UInt32) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError("socket: \(errno)") }
    var timeout = timeval(tv_sec: 60, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = loopback(port: UInt16(port))
    let rc = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard rc == 0 else {
      close(fd)
      throw HarnessError("connect to port \(port): \(errno)")
    }
    return fd
  }

  private static func loopback(port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    return address
  }
}
