import CCoveSystem
import CoveTestSupport
import Foundation
import Testing

@testable import CoveAgent

/// The agent serving a character device as it serves its virtio-serial port
/// in a guest, with a pseudo-terminal standing in for the port and raw
/// HTTP/2 frames for the host.
@Suite("the serial port")
struct SerialPortTests {
  static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
  /// An empty SETTINGS frame: length 0, type 4, no flags, stream 0.
  static let settings: [UInt8] = [0, 0, 0, 4, 0, 0, 0, 0, 0]

  @Test("only the HTTP/2 client preface begins a session")
  func prefaceParser() {
    #expect(SerialPortSessions.beginsSession(Self.preface + Self.settings))
    #expect(!SerialPortSessions.beginsSession(Self.preface.dropLast()))
    #expect(!SerialPortSessions.beginsSession(Self.settings + Self.preface))
    #expect(!SerialPortSessions.beginsSession([UInt8]()))
  }

  @Test(
    "a host's handshake arriving while a session is open (a restored guest that never saw the old host go) starts a new session"
  )
  func prefaceStartsNewSession() async throws {
    var leader: Int32 = -1
    var name = [CChar](repeating: 0, count: 128)
    #expect(cove_open_pty(&leader, &name, name.count) == 0)
    defer { close(leader) }
    var settings = termios()
    tcgetattr(leader, &settings)
    cfmakeraw(&settings)
    tcsetattr(leader, TCSANOW, &settings)
    let port = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let agent = try await AgentHarness(arguments: ["--serial-port", port])
    defer { agent.stop() }

    // The first host: the agent answers its handshake with its own SETTINGS.
    try Self.write(leader, Self.preface + Self.settings)
    #expect(try Self.nextSessionStart(leader) == .settings)

    // A second host, with no end of file between. In the first session these
    // bytes are not a frame, and the agent would end it with a GOAWAY.
    try Self.write(leader, Self.preface + Self.settings)
    #expect(try Self.nextSessionStart(leader) == .settings)

    // The unix socket is served beside the port.
    let health = try await agent.withClient { try await $0.system.health(.init()) }
    #expect(!health.version.isEmpty)
  }

  @Test("a serial port that is not a character device is refused with a clear message")
  func notADevice() async throws {
    let file = NSTemporaryDirectory() + "cove-not-a-port-" + UUID().uuidString.prefix(8)
    _ = FileManager.default.createFile(atPath: file, contents: Data())
    defer { try? FileManager.default.removeItem(atPath: file) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: AgentHarness.binary)
    process.arguments = ["serve", "--listen", "unix:\(file).sock", "--serial-port", file]
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    let ended = await process.finish(output: nil, error: errors)
    #expect(ended.status == 2)
    #expect(ended.standardError.contains("is not a character device"))
    #expect(!FileManager.default.fileExists(atPath: file + ".sock"))
  }

  enum Answer: Equatable { case settings, goAway }

  /// Reads frames from the agent until a SETTINGS frame that is not an
  /// acknowledgement (a session's first frame) or a GOAWAY.
  static func nextSessionStart(_ fd: Int32) throws -> Answer {
    var bytes: [UInt8] = []
    while true {
      while bytes.count >= 9 {
        let length = Int(bytes[0]) << 16 | Int(bytes[1]) << 8 | Int(bytes[2])
        guard bytes.count >= 9 + length else { break }
        let (type, flags) = (bytes[3], bytes[4])
        bytes.removeFirst(9 + length)
        if type == 4 && flags & 1 == 0 { return .settings }
        if type == 7 { return .goAway }
      }
      bytes += try read(fd)
    }
  }

  /// Waits up to 5 s for `fd` to be readable and reads what is there.
  static func read(_ fd: Int32) throws -> [UInt8] {
    var request = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    guard poll(&request, 1, 5000) == 1 else { throw HarnessError("nothing arrived within 5 s") }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = Glibc.read(fd, &buffer, buffer.count)
    guard count > 0 else { throw HarnessError("the port was closed") }
    return Array(buffer.prefix(count))
  }

  static func write(_ fd: Int32, _ bytes: [UInt8]) throws {
    guard Glibc.write(fd, bytes, bytes.count) == bytes.count else { throw HarnessError("short write") }
  }
}
