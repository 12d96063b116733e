import CoveMachine
import Foundation

/// A client of qemu-guest-agent: JSON commands and replies, one per line,
/// over the Unix socket QEMU serves for the agent's virtio-serial port.
/// Blocking I/O with socket timeouts: the bench sends one command at a time,
/// and a guest that stops answering gives an error instead of a hang.
final class GuestAgentClient {
  private let fd: Int32
  private var pending: [UInt8] = []
  private var scanned = 0
  private var chunk = [UInt8](repeating: 0, count: 1 << 20)
  private var nextSyncID = Int.random(in: 1..<1_000_000)

  init(socketPath: String, timeout: Duration = .seconds(30)) throws {
    fd = try connectUnixSocket(socketPath)
    var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
    for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
      setsockopt(fd, SOL_SOCKET, option, &limit, socklen_t(MemoryLayout<timeval>.size))
    }
  }

  deinit { close(fd) }

  /// The guest-sync handshake: sends a random id and skips whatever the
  /// channel held from before until the agent echoes that id.
  func synchronize(attempts: Int = 30) throws {
    for _ in 0..<attempts {
      let id = nextSyncID
      nextSyncID += 1
      try send("{\"execute\":\"guest-sync\",\"arguments\":{\"id\":\(id)}}")
      while let line = try? receiveLine() {
        if let reply = try? JSONDecoder().decode(Reply.self, from: Data(line)), reply.return == .number(Double(id)) {
          return
        }
      }
    }
    throw BenchError.guestAgent("no answer to guest-sync")
  }

  /// Runs one command and returns its `return` value.
  @discardableResult
  func execute(_ command: String, _ arguments: [String: JSONValue] = [:]) throws -> JSONValue {
    let encoded = String(decoding: try JSONEncoder().encode(JSONValue.object(arguments)), as: UTF8.self)
    return try executeRaw("{\"execute\":\"\(command)\",\"arguments\":\(encoded)}")
  }

  /// Sends an already encoded command line (large base64 arguments are
  /// spliced in as they are rather than run through an encoder).
  func executeRaw(_ line: String) throws -> JSONValue {
    try send(line)
    let reply: Reply
    do {
      reply = try JSONDecoder().decode(Reply.self, from: Data(try receiveLine()))
    } catch let error as BenchError {
      throw error
    } catch {
      throw BenchError.guestAgent("unreadable reply: \(error)")
    }
    if let error = reply.error { throw BenchError.guestAgent("\(error.class): \(error.desc)") }
    return reply.return ?? .null
  }

  private struct Reply: Decodable {
    struct Failure: Decodable {
      var `class`: String
      var desc: String
    }
    var `return`: JSONValue?
    var error: Failure?
  }

  private func send(_ line: String) throws {
    var bytes = Array(line.utf8)
    bytes.append(UInt8(ascii: "\n"))
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
      if written < 0 && errno == EINTR { continue }
      guard written > 0 else { throw BenchError.guestAgent("send failed: \(String(cString: strerror(errno)))") }
      offset += written
    }
  }

  private func receiveLine() throws -> ArraySlice<UInt8> {
    while true {
      if let newline = pending[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
        let line = pending[..<newline]
        pending.removeSubrange(...newline)
        scanned = 0
        return line
      }
      scanned = pending.count
      let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
        throw BenchError.guestAgent("no reply within the socket timeout")
      }
      guard count > 0 else { throw BenchError.guestAgent("the connection closed") }
      pending.append(contentsOf: chunk[..<count])
    }
  }
}

/// A connected Unix stream socket to `path`.
func connectUnixSocket(_ path: String) throws -> Int32 {
  let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
  guard fd >= 0 else { throw BenchError.setup("socket: \(String(cString: strerror(errno)))") }
  var address = sockaddr_un()
  address.sun_family = sa_family_t(AF_UNIX)
  let capacity = MemoryLayout.size(ofValue: address.sun_path)
  guard path.utf8.count < capacity else { throw BenchError.setup("socket path too long: \(path)") }
  withUnsafeMutableBytes(of: &address.sun_path) { buffer in
    for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
  }
  let result = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
      connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
    }
  }
  guard result == 0 else {
    let reason = String(cString: strerror(errno))
    close(fd)
    throw BenchError.setup("connect \(path): \(reason)")
  }
  return fd
}

/// A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it).
func freeLoopbackPort() throws -> Int {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  guard fd >= 0 else { throw BenchError.setup("socket: \(String(cString: strerror(errno)))") }
  defer { close(fd) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  var length = socklen_t(MemoryLayout<sockaddr_in>.size)
  let bound = withUnsafeMutablePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
      bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
    }
  }
  guard bound else { throw BenchError.setup("no free port: \(String(cString: strerror(errno)))") }
  return Int(UInt16(bigEndian: address.sin_port))
}
