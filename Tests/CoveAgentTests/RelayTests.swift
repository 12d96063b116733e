import CCoveSystem
import Foundation
import Testing

/// The guest's relay between the agent's virtio-serial port and its Unix
/// socket (`bridge.c`), with a pseudo-terminal standing in for the port.
@Suite("the port relay")
struct RelayTests {
  static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

  @Test(
    "a new HTTP/2 connection arriving while a session is open (a restored guest that never saw the old host go) starts a new session"
  )
  func prefaceStartsNewSession() throws {
    let directory = NSTemporaryDirectory() + "cove-relay-" + UUID().uuidString.prefix(8)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let listener = try Self.listen(at: directory + "/agent.sock")
    defer { close(listener) }

    var leader: Int32 = -1
    var name = [CChar](repeating: 0, count: 128)
    #expect(cove_open_pty(&leader, &name, name.count) == 0)
    var settings = termios()
    tcgetattr(leader, &settings)
    cfmakeraw(&settings)
    tcsetattr(leader, TCSANOW, &settings)
    // The leader stays open: the relay's thread lives as long as the test
    // process and would otherwise poll a port whose other end is gone.
    let port = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    #expect(cove_bridge_serial_port(port, directory + "/agent.sock") == 0)

    try Self.write(leader, Array("hello".utf8))
    let first = try Self.accept(listener)
    defer { close(first) }
    #expect(try Self.read(first) == Array("hello".utf8))

    // The host is back with a new connection, and no end of file between.
    try Self.write(leader, Self.preface + Array("settings".utf8))
    #expect(try Self.read(first).isEmpty, "the old session was not closed")
    let second = try Self.accept(listener)
    defer { close(second) }
    var received: [UInt8] = []
    while received.count < Self.preface.count + 8 { received += try Self.read(second) }
    #expect(received == Self.preface + Array("settings".utf8))
    // Answers go back to the host.
    try Self.write(second, Array("pong".utf8))
    #expect(try Self.read(leader) == Array("pong".utf8))
  }

  static func listen(at path: String) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { buffer in
      for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
    }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard bound == 0, Glibc.listen(fd, 4) == 0 else { throw HarnessError("cannot listen on \(path)") }
    return fd
  }

  /// Waits up to 5 s for `fd` to be readable.
  static func wait(_ fd: Int32) throws {
    var request = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    guard poll(&request, 1, 5000) == 1 else { throw HarnessError("nothing arrived within 5 s") }
  }

  static func accept(_ listener: Int32) throws -> Int32 {
    try wait(listener)
    return Glibc.accept(listener, nil, nil)
  }

  static func read(_ fd: Int32) throws -> [UInt8] {
    try wait(fd)
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = Glibc.read(fd, &buffer, buffer.count)
    return count > 0 ? Array(buffer.prefix(count)) : []
  }

  static func write(_ fd: Int32, _ bytes: [UInt8]) throws {
    guard Glibc.write(fd, bytes, bytes.count) == bytes.count else { throw HarnessError("short write") }
  }
}
