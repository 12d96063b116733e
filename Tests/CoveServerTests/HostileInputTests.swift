import AsyncHTTPClient
import CoveClient
import CoveTestSupport
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import Testing

/// What an independent hostile suite found in the daemon's API, each class
/// with a case here.
@Suite("the API under hostile input", .serialized, .timeLimit(.minutes(10)))
struct HostileInputTests {
  @Test(
    "no VM needed: 413 for a big body, 400 for a NUL in a header (connection closed), JSON refusals of WebSocket upgrades, strict query parameters"
  )
  func refusals() async throws {
    let daemon = try await TestDaemon()
    defer { daemon.finish() }
    let big = "{\"image\": \"" + String(repeating: "a", count: 10_000_000) + "\"}"
    let tooLarge = try await daemon.raw(.POST, "/v1/sandboxes", body: big)
    #expect(tooLarge.status == 413 && tooLarge.body.contains(#""code":"too_large""#), "\(tooLarge)")

    let nul = try await RawConnection.exchange(
      port: daemon.port, "GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\0b\r\n\r\n")
    #expect(nul.hasPrefix("HTTP/1.1 400") && nul.contains(#""code":"invalid_request""#), "\(nul)")

    // Upgrades refused with the API's status and JSON error.
    let handshake = [
      "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
      "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    ]
    let path = "/v1/sandboxes/sb-nothere/exec/ws"
    let noKey = try await RawConnection.get(port: daemon.port, path, headers: handshake)
    #expect(noKey.hasPrefix("HTTP/1.1 401") && noKey.contains(#""code":"unauthorized""#), "\(noKey)")
    let wrongKey = try await RawConnection.get(
      port: daemon.port, path, headers: handshake.merging(["Authorization": "Bearer cove_00"]) { $1 })
    #expect(wrongKey.hasPrefix("HTTP/1.1 401") && wrongKey.contains(#""code":"unauthorized""#), "\(wrongKey)")
    let authorized = handshake.merging(["Authorization": "Bearer \(daemon.key)"]) { $1 }
    let unknown = try await RawConnection.get(port: daemon.port, path, headers: authorized)
    #expect(unknown.hasPrefix("HTTP/1.1 404") && unknown.contains(#""code":"not_found""#), "\(unknown)")
    var noHandshakeKey = authorized
    noHandshakeKey["Sec-WebSocket-Key"] = nil
    let malformed = try await RawConnection.get(port: daemon.port, path, headers: noHandshakeKey)
    #expect(malformed.hasPrefix("HTTP/1.1 400") && malformed.contains("Sec-WebSocket-Key"), "\(malformed)")

    // Invalid values are refused before the sandbox is even looked up.
    let files = "/v1/sandboxes/sb-nothere/files"
    for query in [
      "/list?path=/&depth=-1", "/list?path=/&depth=abc", "/list?path=/&depth=17", "?path=/x&recursive=yes",
    ] {
      let method: HTTPMethod = query.hasPrefix("?") ? .DELETE : .GET
      let answer = try await daemon.raw(method, files + query)
      #expect(answer.status == 400 && answer.body.contains("invalid_request"), "\(query): \(answer)")
    }
    for mode in ["abc", "9", "17777"] {
      let answer = try await daemon.raw(.PUT, files + "?path=/x&mode=\(mode)", body: "x")
      #expect(answer.status == 400, "mode \(mode): \(answer)")
    }
    #expect(try await daemon.raw(.PUT, files + "?path=/x&parents=maybe", body: "x").status == 400)
    let mkdir = try await daemon.raw(.POST, files + "/mkdir", body: #"{"path": "/x", "mode": 70000}"#)
    #expect(mkdir.status == 400 && mkdir.body.contains("mode"))
    #expect(try await daemon.raw(.GET, "/v1/sandboxes/sb-nothere/services/a/logs?tail=abc").status == 400)
    #expect(try await daemon.raw(.GET, files + "/list?path=/&depth=2").status == 404)
  }

  @Test(
    "with VMs: a WebSocket's bad first message is answered and closed; a cut upload and a delete during an exec say what happened; SIGTERM ends an abandoned SSE stream and a WebSocket and stops the sandboxes"
  )
  func sandboxCases() async throws {
    let daemon = try await TestDaemon()
    defer { daemon.finish() }
    let client = daemon.client
    let first = try await client.createSandbox(CreateSandbox(image: "busybox"))

    // Not JSON: an error message, then a close frame with 1008.
    let messages = Lines()
    let closeFrame = try await WebSocketClient.connect(
      url: daemon.url.replacingOccurrences(of: "http://", with: "ws://") + "/v1/sandboxes/\(first.id)/exec/ws",
      configuration: .init(additionalHeaders: [.authorization: "Bearer \(daemon.key)"]),
      logger: Logger(label: "test.ws")
    ) { inbound, outbound, _ in
      try await outbound.write(.text("this is not json"))
      for try await message in inbound.messages(maxSize: 1 << 20) {
        if case .text(let text) = message { messages.add(.stdout, Data(text.utf8)) }
      }
    }
    #expect(messages.stdout.contains(#""type":"error""#) && messages.stdout.contains("invalid_request"))
    #expect(closeFrame?.closeCode == .policyViolation, "closed with \(String(describing: closeFrame))")

    // An upload whose client half-closes before its declared length.
    let cut = try await RawConnection.exchange(
      port: daemon.port,
      "PUT /v1/sandboxes/\(first.id)/files?path=/tmp/cut HTTP/1.1\r\nHost: x\r\n"
        + "Authorization: Bearer \(daemon.key)\r\nContent-Length: 100000\r\n\r\n0123456789", halfClose: true)
    #expect(cut.contains("400") && cut.contains("upload_cut"), "\(cut)")
    #expect(try await daemon.raw(.GET, "/v1/sandboxes/\(first.id)/files/stat?path=/tmp/cut").status == 404)

    // A delete while commands run: they are told the sandbox was deleted.
    async let running = daemon.raw(
      .POST, "/v1/sandboxes/\(first.id)/exec", body: #"{"cmd": ["sh", "-c", "echo started > /tmp/ran; sleep 600"]}"#)
    let ran = try await eventually(120) {
      try await client.exec(first.id, Command(["cat", "/tmp/ran"])).stdout == "started\n"
    }
    #expect(ran)
    try await client.deleteSandbox(first.id)
    let interrupted = try await running
    #expect(
      interrupted.status == 410 && interrupted.body.contains("sandbox_deleted")
        && interrupted.body.contains("deleted while the command ran"), "\(interrupted)")

    // SIGTERM with a stream nobody reads and an open WebSocket.
    let second = try await client.createSandbox(CreateSandbox(image: "busybox"))
    let abandoned = try RawConnection.send(
      port: daemon.port,
      "POST /v1/sandboxes/\(second.id)/exec/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(daemon.key)\r\n"
        + "Content-Type: application/json\r\nContent-Length: 25\r\n\r\n{\"cmd\": [\"sleep\", \"600\"]}")
    defer { close(abandoned) }
    let (never, _) = AsyncStream.makeStream(of: CommandInput.self)
    let socket = Task {
      try await client.interactive(second.id, Command(["sleep", "600"]), pty: nil, input: never) { _, _ in }
    }
    let sleeping = try await eventually(120) {
      try await client.exec(second.id, Command(["sh", "-c", "ps | grep -c '[s]leep 600'"])).stdout == "2\n"
    }
    #expect(sleeping)
    let process = try #require(daemon.process)
    kill(process.processIdentifier, SIGTERM)
    // A bound that only a hang reaches (it used to wait for the commands).
    #expect(try await eventually(60) { !process.isRunning }, "the daemon did not exit after SIGTERM")
    let streamed = try await RawConnection.readToEnd(abandoned)
    #expect(streamed.contains("event: error") && streamed.contains("shutting_down"), "\(streamed)")
    await #expect(throws: CoveClientError.self) { try await socket.value }
    #expect(daemon.qemuProcesses.isEmpty)
  }

  @Test("a client that goes away during a quiet command ends it, on the stream and on the plain exec alike")
  func clientGoesAway() async throws {
    let daemon = try await TestDaemon()
    defer { daemon.finish() }
    let client = daemon.client
    let sandbox = try await client.createSandbox(CreateSandbox(image: "busybox"))
    for (route, seconds) in [("exec/stream", 1001), ("exec", 1002)] {
      let body = #"{"cmd": ["sleep", "\#(seconds)"]}"#
      let connection = try RawConnection.send(
        port: daemon.port,
        "POST /v1/sandboxes/\(sandbox.id)/\(route) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(daemon.key)\r\n"
          + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
      let running: @Sendable () async throws -> Bool = {
        let count = try await client.exec(sandbox.id, Command(["sh", "-c", "ps | grep -c '[s]leep \(seconds)'"]))
        return count.stdout == "1\n"
      }
      #expect(try await eventually(240, running), "\(route): the command never started")
      // Gone without a word, while the command prints nothing: only the
      // connection's end can tell the daemon.
      close(connection)
      #expect(try await eventually(240) { try await !running() }, "\(route): the command outlived its client")
    }
    try await client.deleteSandbox(sandbox.id)
    #expect(daemon.qemuProcesses.isEmpty)
  }
}

extension TestDaemon {
  var port: Int { Int(url.split(separator: ":").last ?? "") ?? 0 }
}

/// Requests written as raw bytes on a socket of their own, for what an HTTP
/// client will not send, and answers read until the server closes.
enum RawConnection {
  static func get(port: Int, _ path: String, headers: [String: String]) async throws -> String {
    var text = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    for (name, value) in headers { text += "\(name): \(value)\r\n" }
    return try await exchange(port: port, text + "\r\n")
  }

  /// Sends `request` (then shuts the write side when `halfClose`) and reads to the end.
  static func exchange(port: Int, _ request: String, halfClose: Bool = false) async throws -> String {
    let fd = try send(port: port, request, halfClose: halfClose)
    defer { close(fd) }
    return try await readToEnd(fd)
  }

  static func send(port: Int, _ request: String, halfClose: Bool = false) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    // A bound on a server that holds the connection open without a word.
    var timeout = timeval(tv_sec: 240, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else { throw TestFailure("connect: \(errno)") }
    let bytes = Array(request.utf8)
    guard write(fd, bytes, bytes.count) == bytes.count else { throw TestFailure("write: \(errno)") }
    if halfClose { shutdown(fd, Int32(SHUT_WR)) }
    return fd
  }

  /// Reads off the pool: the read blocks until the server closes.
  static func readToEnd(_ fd: Int32) async throws -> String {
    try await offThePool { try readToEndBlocking(fd) }
  }

  private static func readToEndBlocking(_ fd: Int32) throws -> String {
    var answer: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = read(fd, &buffer, buffer.count)
      if count == 0 { break }
      guard count > 0 else {
        throw TestFailure("the server held the connection open after: \(String(decoding: answer, as: UTF8.self))")
      }
      answer += buffer[0..<count]
    }
    return String(decoding: answer, as: UTF8.self)
  }
}
