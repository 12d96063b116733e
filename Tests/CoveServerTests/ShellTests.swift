import CCoveSystem
import CoveClient
import CoveTestSupport
import Foundation
import Testing

/// `cove shell` through a real pseudo-terminal, as a person would use it.
@Suite("cove shell, on a real terminal", .serialized, .timeLimit(.minutes(10)))
struct ShellTests {
  @Test("raw terminal: the window size, resizes, Ctrl-C into the sandbox, and the shell's exit code")
  func terminal() async throws {
    let daemon = try await TestDaemon()
    defer { daemon.finish() }
    let sandbox = try await daemon.client.createSandbox(CreateSandbox(image: "busybox"))
    let terminal = try PseudoTerminal(rows: 30, cols: 100)
    let process = Process()
    // setsid -c makes the terminal the controlling one, so that resizing it
    // sends SIGWINCH; -w waits for cove and passes on its exit status.
    process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
    process.arguments = ["-c", "-w", TestDaemon.binary, "shell", sandbox.id]
    process.environment = TestDaemon.environment.merging(["COVE_URL": daemon.url, "COVE_API_KEY": daemon.key]) {
      $1
    }
    process.standardInput = terminal.follower
    process.standardOutput = terminal.follower
    process.standardError = terminal.follower
    try process.run()
    defer { if process.isRunning { process.terminate() } }

    terminal.type("stty size\n")
    #expect(try await terminal.waitFor("30 100"))
    // The resize travels to the sandbox on its own; ask until the shell sees it.
    terminal.resize(rows: 40, cols: 120)
    var resized = false
    for _ in 0..<30 where !resized {
      terminal.type("stty size\n")
      resized = try await terminal.waitFor("40 120", seconds: 2)
    }
    #expect(resized, "terminal showed: \(terminal.shown.debugDescription)")
    // Ctrl-C interrupts the sleep in the sandbox (the shell drops the rest of
    // the line, as shells do); the shell itself goes on.
    terminal.type("sleep 100; echo not-interrupted\n")
    let sleeping = { () async throws -> Bool in
      try await daemon.client.exec(sandbox.id, Command(["sh", "-c", "ps | grep -c '[s]leep 100'"])).stdout == "1\n"
    }
    #expect(try await eventually(30, sleeping), "the sleep never ran: \(terminal.shown.debugDescription)")
    terminal.type("\u{03}")
    #expect(try await eventually(30) { try await !sleeping() }, "Ctrl-C did not end the sleep")
    terminal.type("echo after-$((6*7))\n")
    #expect(try await terminal.waitFor("after-42", seconds: 10), "terminal showed: \(terminal.shown.debugDescription)")
    #expect(!terminal.shown.contains("\r\nnot-interrupted\r\n"))
    terminal.type("exit 3\n")
    await process.exited()
    #expect(process.terminationStatus == 3)
    try await daemon.client.deleteSandbox(sandbox.id)
  }
}

extension ShellTests {
  @Test("WebSocket exec without a terminal: stdin in, stdout and stderr apart, the exit code; bad start is an error")
  func webSocketExec() async throws {
    let daemon = try await TestDaemon()
    defer { daemon.finish() }
    let sandbox = try await daemon.client.createSandbox(CreateSandbox(image: "busybox"))
    let (input, sink) = AsyncStream.makeStream(of: CommandInput.self)
    sink.yield(.stdin(Data("line one\nline two\n".utf8)))
    sink.yield(.closeStdin)
    let lines = Lines()
    let status = try await daemon.client.interactive(
      sandbox.id, Command(["sh", "-c", "wc -l; echo to-stderr >&2; exit 4"]), pty: nil, input: input
    ) { lines.add($0, $1) }
    #expect(status.exitCode == 4)
    #expect(lines.stdout.trimmingCharacters(in: .whitespaces) == "2\n")
    #expect(lines.stderr == "to-stderr\n")
    let (never, _) = AsyncStream.makeStream(of: CommandInput.self)
    await #expect(throws: CoveClientError.self) {
      try await daemon.client.interactive(sandbox.id, Command([""]), pty: nil, input: never) { _, _ in }
    }
    try await daemon.client.deleteSandbox(sandbox.id)
    await #expect(throws: CoveClientError.self) {
      try await daemon.client.interactive(sandbox.id, Command(["true"]), pty: nil, input: never) { _, _ in }
    }
  }
}

/// A pseudo-terminal pair: the test types on the leader side, `cove` runs on the follower.
final class PseudoTerminal: @unchecked Sendable {
  let leader: Int32
  let follower: FileHandle
  private let lock = NSLock()
  private var output = ""

  init(rows: UInt16, cols: UInt16) throws {
    var opened: Int32 = -1
    var name = [CChar](repeating: 0, count: 128)
    guard cove_open_pty(&opened, &name, name.count) == 0 else { throw TestFailure("no pseudo-terminal") }
    self.leader = opened
    let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let followerFD = open(path, O_RDWR | O_NOCTTY)
    guard followerFD >= 0 else { throw TestFailure("cannot open \(path)") }
    follower = FileHandle(fileDescriptor: followerFD, closeOnDealloc: true)
    resize(rows: rows, cols: cols)
    let leader = self.leader
    Thread.detachNewThread { [weak self] in
      var buffer = [UInt8](repeating: 0, count: 4096)
      while true {
        let count = read(leader, &buffer, buffer.count)
        if count <= 0 { return }
        guard let self else { return }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        self.lock.withLock { self.output += text }
      }
    }
  }

  deinit { close(leader) }

  func type(_ text: String) {
    _ = text.utf8CString.withUnsafeBufferPointer { write(leader, $0.baseAddress, $0.count - 1) }
  }

  func resize(rows: UInt16, cols: UInt16) {
    var size = winsize(ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0)
    _ = ioctl(leader, UInt(TIOCSWINSZ), &size)
  }

  /// Waits until the terminal has shown `text` (which the test never types itself).
  func waitFor(_ text: String, seconds: Double = 20) async throws -> Bool {
    try await eventually(seconds) { lock.withLock { output.contains(text) } }
  }

  var shown: String { lock.withLock { output } }
}
