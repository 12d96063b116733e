import AsyncHTTPClient
import CoveClient
import Foundation
import NIOCore
import Testing

/// `cove serve` end to end: a real daemon, real busybox microVMs under TCG.
@Suite("cove serve, end to end", .serialized, .timeLimit(.minutes(10)))
struct ServerTests {
  @Test("a sandbox's life: create, find, exec, stream, processes, files, extend, delete; nothing left")
  func sandboxLife() async throws {
    let daemon = try await TestDaemon()
    defer { daemon.finish() }
    let client = daemon.client
    let sandbox = try await client.createSandbox(
      CreateSandbox(
        image: "busybox", memoryMiB: 512, timeout: 1800, env: ["GREETING": "hello"], metadata: ["team": "a"])
    )
    #expect(sandbox.state == .running)
    #expect(sandbox.metadata == ["team": "a"])
    #expect(try await client.sandbox(sandbox.id) == sandbox)
    #expect(try await client.sandboxes(state: "running").map(\.id) == [sandbox.id])
    #expect(try await client.sandboxes(state: "stopped").isEmpty)
    let filtered = try await daemon.raw(.GET, "/v1/sandboxes?metadata=team=b")
    #expect(filtered.body.contains(#""sandboxes":[]"#))

    // Exec and wait: streams kept apart, exit code, env from create and from the call, cwd.
    let result = try await client.exec(
      sandbox.id,
      Command(
        ["sh", "-c", "echo $GREETING $EXTRA; pwd; hostname; echo oops >&2; exit 3"], env: ["EXTRA": "x"], cwd: "/tmp"))
    #expect(result.stdout == "hello x\n/tmp\n\(sandbox.id)\n")
    #expect(result.stderr == "oops\n")
    #expect(result.exitCode == 3)
    #expect(try await client.exec(sandbox.id, Command(["no-such-program"])).exitCode == 127)
    let stdin = try await client.exec(sandbox.id, Command(["cat"], stdin: "fed through stdin"))
    #expect(stdin.stdout == "fed through stdin")
    let binary = try await client.exec(sandbox.id, Command(["printf", #"\377\376"#]))
    #expect(binary.base64 && binary.stdoutData == Data([0xFF, 0xFE]))

    // Live output arrives complete and in order.
    let lines = Lines()
    let status = try await client.execStreaming(sandbox.id, Command(["sh", "-c", "seq 1 3000; echo done >&2"])) {
      stream, data in lines.add(stream, data)
    }
    #expect(status.exitCode == 0)
    #expect(lines.stdout == (1...3000).map { "\($0)\n" }.joined())
    #expect(lines.stderr == "done\n")

    // A background process: listed, fed through stdin, attached to, signalled.
    // It says what it read until it is killed, so the attached stream sees
    // it whenever the attach took hold: the test waits on that, not a clock.
    let started = try await daemon.raw(
      .POST, "/v1/sandboxes/\(sandbox.id)/processes",
      body: #"{"cmd": ["sh", "-c", "read line; while true; do echo got $line; sleep 0.2; done"]}"#)
    #expect(started.status == 201)
    let pid = try #require(Int(started.body.filter(\.isNumber)))
    let listed = try await daemon.raw(.GET, "/v1/sandboxes/\(sandbox.id)/processes")
    #expect(listed.body.contains(#""pid":\#(pid)"#))
    #expect(
      try await daemon.raw(.POST, "/v1/sandboxes/\(sandbox.id)/processes/\(pid)/stdin", body: #"{"data": "ping\n"}"#)
        .status == 204)
    var attach = HTTPClientRequest(url: daemon.url + "/v1/sandboxes/\(sandbox.id)/processes/\(pid)/stream")
    attach.headers.add(name: "Authorization", value: "Bearer \(daemon.key)")
    let attached = try await CoveClient.sharedHTTP.execute(attach, timeout: .minutes(10))
    #expect(attached.status == .ok)
    var events = SSEText()
    var signalled = false
    for try await buffer in attached.body {
      events.add(buffer)
      if !signalled, events.stdout.contains("got ping\n") {
        signalled = true
        #expect(
          try await daemon.raw(.POST, "/v1/sandboxes/\(sandbox.id)/processes/\(pid)/signal", body: #"{"signal": 9}"#)
            .status == 204)
      }
    }
    #expect(events.stdout.contains("got ping\n"))
    #expect(events.text.contains(#""exit_code":137"#) && events.text.contains(#""signal":9"#))
    #expect(try await daemon.raw(.GET, "/v1/sandboxes/\(sandbox.id)/processes/99999/stream").status == 404)

    // Files: a streamed round trip with a checksum, and the small operations.
    let local = "/tmp/cove-upload-\(UUID().uuidString.prefix(6))"
    defer {
      try? FileManager.default.removeItem(atPath: local)
      try? FileManager.default.removeItem(atPath: local + ".back")
    }
    try TestDaemon.writeRandomFile(local, megabytes: 100)
    try await client.upload(sandbox.id, from: local, to: "/tmp/data/in/big.bin")
    let inGuest = try await client.exec(sandbox.id, Command(["sha256sum", "/tmp/data/in/big.bin"]))
    #expect(inGuest.stdout.hasPrefix(TestDaemon.sha256(file: local)))
    #expect(try await client.download(sandbox.id, from: "/tmp/data/in/big.bin", to: local + ".back") == 100 << 20)
    #expect(TestDaemon.sha256(file: local + ".back") == TestDaemon.sha256(file: local))
    let files = "/v1/sandboxes/\(sandbox.id)/files"
    #expect(
      try await daemon.raw(.POST, files + "/mkdir", body: #"{"path": "/tmp/data/a/b", "parents": true}"#).status == 201)
    #expect(
      try await daemon.raw(
        .POST, files + "/rename", body: #"{"from": "/tmp/data/in/big.bin", "to": "/tmp/data/a/b/c.bin"}"#
      )
      .status == 200)
    let stat = try await daemon.raw(.GET, files + "/stat?path=/tmp/data/a/b/c.bin")
    #expect(stat.body.contains(#""size":\#(100 << 20)"#) && stat.body.contains(#""type":"file""#))
    let list = try await daemon.raw(.GET, files + "/list?path=/tmp/data&depth=3")
    #expect(list.body.contains("/tmp/data/a/b/c.bin"))
    #expect(try await daemon.raw(.GET, files + "?path=/tmp/data/missing").status == 404)
    #expect(try await daemon.raw(.GET, files + "?path=/tmp/data").status == 400)
    #expect(try await daemon.raw(.GET, files + "?path=relative").status == 400)
    #expect(try await daemon.raw(.DELETE, files + "?path=/tmp/data").status == 409)
    #expect(try await daemon.raw(.DELETE, files + "?path=/tmp/data&recursive=true").status == 204)
    #expect(try await daemon.raw(.GET, files + "/stat?path=/tmp/data").status == 404)

    // Timeout, console log, delete.
    // The new deadline counts from the call, whenever it comes.
    let asked = Date()
    let extended = try await client.extend(sandbox.id, timeout: 7200)
    #expect(extended.expiresAt >= asked.addingTimeInterval(7199))
    #expect(extended.expiresAt > sandbox.expiresAt)
    _ = try await client.exec(sandbox.id, Command(["sh", "-c", "echo console-marker > /dev/console"]))
    #expect(try await client.logs(sandbox.id).contains("console-marker"))
    try await client.deleteSandbox(sandbox.id)
    #expect(try await daemon.raw(.GET, "/v1/sandboxes/\(sandbox.id)").status == 404)
    #expect(daemon.qemuProcesses.isEmpty)
    #expect(!FileManager.default.fileExists(atPath: daemon.runDirectory))
  }

  @Test("auth, bad input and illegal transitions get clear errors")
  func errors() async throws {
    let daemon = try await TestDaemon()
    defer { daemon.finish() }
    #expect(try await daemon.raw(.GET, "/health", key: .some(nil)).status == 200)
    let anonymous = try await daemon.raw(.GET, "/v1/sandboxes", key: .some(nil))
    #expect(anonymous.status == 401 && anonymous.body.contains(#""code":"unauthorized""#))
    #expect(try await daemon.raw(.GET, "/v1/sandboxes", key: "cove_0000").status == 401)
    #expect(try await daemon.raw(.GET, "/metrics", key: .some(nil)).status == 401)
    let malformed = try await daemon.raw(.POST, "/v1/sandboxes", body: "{not json")
    #expect(malformed.status == 400 && malformed.body.contains(#""error":{"#))
    #expect(try await daemon.raw(.POST, "/v1/sandboxes", body: #"{"cpus": 0}"#).status == 400)
    #expect(try await daemon.raw(.POST, "/v1/sandboxes", body: #"{"image": "../etc"}"#).status == 400)
    let missingImage = try await daemon.raw(.POST, "/v1/sandboxes", body: #"{"image": "no-such-image"}"#)
    #expect(missingImage.status == 400 && missingImage.body.contains("no-such-image"))
    #expect(try await daemon.raw(.GET, "/v1/sandboxes/sb-nothere").status == 404)
    #expect(try await daemon.raw(.POST, "/v1/sandboxes/sb-nothere/exec", body: #"{"cmd": ["true"]}"#).status == 404)
    #expect(try await daemon.raw(.GET, "/v1/sandboxes?state=sleepy").status == 400)
    #expect(try await daemon.raw(.GET, "/openapi.yaml").body.hasPrefix("openapi: 3.1.0"))

    // The reaper stops a sandbox whose time is up; what needs a running one is then a 409.
    let sandbox = try await daemon.client.createSandbox(CreateSandbox(image: "busybox", timeout: 2))
    #expect(try await eventually(30) { try await daemon.client.sandbox(sandbox.id).state == .stopped })
    #expect(try await daemon.client.sandbox(sandbox.id).error == "timed out")
    let exec = try await daemon.raw(.POST, "/v1/sandboxes/\(sandbox.id)/exec", body: #"{"cmd": ["true"]}"#)
    #expect(exec.status == 409 && exec.body.contains("stopped"))
    #expect(try await daemon.raw(.POST, "/v1/sandboxes/\(sandbox.id)/timeout", body: #"{"timeout": 60}"#).status == 409)
    #expect(daemon.qemuProcesses.isEmpty)
    try await daemon.client.deleteSandbox(sandbox.id)
    #expect(try await daemon.client.sandboxes().isEmpty)
  }

  @Test("limits answer at once: 429 past the sandbox count or the memory budget")
  func limits() async throws {
    let daemon = try await TestDaemon(arguments: ["--max-sandboxes", "1", "--memory-budget", "300"])
    defer { daemon.finish() }
    let tooBig = try await daemon.raw(.POST, "/v1/sandboxes", body: #"{"image": "busybox", "memory_mib": 512}"#)
    #expect(tooBig.status == 429 && tooBig.body.contains("memory_budget_exceeded"))
    let first = try await daemon.client.createSandbox(CreateSandbox(image: "busybox"))
    let second = try await daemon.raw(.POST, "/v1/sandboxes", body: #"{"image": "busybox"}"#)
    #expect(second.status == 429 && second.body.contains("limit of 1"))
    try await daemon.client.deleteSandbox(first.id)
    let third = try await daemon.client.createSandbox(CreateSandbox(image: "busybox"))
    #expect(third.state == .running)
  }

  @Test("a daemon killed with -9 takes its running sandboxes over, and settles the ones that died")
  func restart() async throws {
    let daemon = try await TestDaemon()
    defer { daemon.finish() }
    let kept = try await daemon.client.createSandbox(CreateSandbox(image: "busybox"))
    let lost = try await daemon.client.createSandbox(CreateSandbox(image: "busybox"))
    let started = try await daemon.raw(
      .POST, "/v1/sandboxes/\(kept.id)/processes", body: #"{"cmd": ["sleep", "600"], "tag": "survivor"}"#)
    #expect(started.status == 201)
    _ = try await daemon.client.exec(kept.id, Command(["sh", "-c", "echo kept > /tmp/mark"]))
    await daemon.stop(signal: SIGKILL)
    #expect(daemon.qemuProcesses.count == 2)
    // One VM dies while no daemon watches.
    let lostPID = daemon.qemuProcesses.first { pid in
      let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
      return String(decoding: cmdline, as: UTF8.self).contains(lost.id)
    }
    kill(try #require(lostPID), SIGKILL)
    try await daemon.start()
    #expect(try await daemon.client.sandbox(kept.id).state == .running)
    let after = try await daemon.client.sandbox(lost.id)
    #expect(after.state == .stopped && after.error?.contains("exited") == true)
    #expect(!FileManager.default.fileExists(atPath: daemon.runDirectory + "/" + lost.id))
    #expect(try await daemon.client.exec(kept.id, Command(["cat", "/tmp/mark"])).stdout == "kept\n")
    let processes = try await daemon.raw(.GET, "/v1/sandboxes/\(kept.id)/processes")
    #expect(processes.body.contains("survivor"))
    // A graceful stop stops the sandboxes too, and leaves no VM behind.
    await daemon.stop()
    #expect(daemon.qemuProcesses.isEmpty)
    #expect(!FileManager.default.fileExists(atPath: daemon.runDirectory))
  }

  @Test("pause and resume: processes and files survive, exec is refused while paused, the clock is set again")
  func pauseAndResume() async throws {
    let daemon = try await TestDaemon()
    defer { daemon.finish() }
    let client = daemon.client
    let sandbox = try await client.createSandbox(CreateSandbox(image: "busybox"))
    let started = try await daemon.raw(
      .POST, "/v1/sandboxes/\(sandbox.id)/processes", body: #"{"cmd": ["sleep", "600"], "tag": "sleeper"}"#)
    #expect(started.status == 201)
    _ = try await client.exec(sandbox.id, Command(["sh", "-c", "echo before > /tmp/mark"]))
    #expect(try await client.pause(sandbox.id).state == .paused)
    let refused = try await daemon.raw(.POST, "/v1/sandboxes/\(sandbox.id)/exec", body: #"{"cmd": ["true"]}"#)
    #expect(refused.status == 409 && refused.body.contains("paused"))
    #expect(try await daemon.raw(.POST, "/v1/sandboxes/\(sandbox.id)/pause").status == 409)
    try await Task.sleep(for: .seconds(3))
    #expect(try await client.resume(sandbox.id).state == .running)
    #expect(try await daemon.raw(.POST, "/v1/sandboxes/\(sandbox.id)/resume").status == 409)
    #expect(try await client.exec(sandbox.id, Command(["cat", "/tmp/mark"])).stdout == "before\n")
    #expect(try await daemon.raw(.GET, "/v1/sandboxes/\(sandbox.id)/processes").body.contains("sleeper"))
    #expect(try await Self.guestClockIsSet(client, sandbox.id), "the guest clock is off after the pause")
    try await client.deleteSandbox(sandbox.id)
  }

  @Test(
    "templates: a ready service is snapshotted; ten clones run it, each with its own id and random numbers; in use, it stays"
  )
  func templates() async throws {
    let daemon = try await TestDaemon(arguments: ["--default-image", "busybox"])
    defer { daemon.finish() }
    let client = daemon.client
    let template = try await client.createTemplate(
      Template(
        name: "beating", startCmd: ["sh", "-c", "while true; do date +%s > /tmp/beat; sleep 1; done"],
        readyCmd: ["test", "-s", "/tmp/beat"]))
    #expect(template.image == "busybox")
    #expect(try await client.templates().map(\.name) == ["beating"])
    var clones: [Sandbox] = []
    var randoms: Set<String> = []
    var beats: [String: String] = [:]
    for _ in 0..<10 {
      let clone = try await client.createSandbox(CreateSandbox(template: "beating"))
      #expect(clone.state == .running && clone.template == "beating")
      clones.append(clone)
    }
    for clone in clones {
      #expect(try await client.exec(clone.id, Command(["hostname"])).stdout == clone.id + "\n")
      randoms.insert(
        try await client.exec(clone.id, Command(["sh", "-c", "head -c 16 /dev/urandom | od -An -tx1"])).stdout)
      beats[clone.id] = try await client.exec(clone.id, Command(["cat", "/tmp/beat"])).stdout
    }
    #expect(randoms.count == 10, "clones gave the same random bytes")
    // The service from the start command runs on in every clone: the guest
    // waits for its next beat (a bound of 120 s only a stopped service reaches).
    for clone in clones {
      let next = try await client.exec(clone.id, Self.waitForChange(of: "/tmp/beat", from: beats[clone.id] ?? ""))
      #expect(next.exitCode == 0 && !next.timedOut, "the service stopped in \(clone.id)")
    }
    let inUse = try await daemon.raw(.DELETE, "/v1/templates/beating")
    #expect(inUse.status == 409 && inUse.body.contains(clones[0].id))
    for clone in clones { try await client.deleteSandbox(clone.id) }
    try await client.deleteTemplate("beating")
    #expect(try await client.templates().isEmpty)
    #expect(!FileManager.default.fileExists(atPath: daemon.data + "/templates/beating"))
    // Two requests for one name: one template, one 409, and its files intact.
    async let first = daemon.raw(.POST, "/v1/templates", body: #"{"name": "twice"}"#)
    async let second = daemon.raw(.POST, "/v1/templates", body: #"{"name": "twice"}"#)
    #expect(try await [first.status, second.status].sorted() == [201, 409])
    let clone = try await client.createSandbox(CreateSandbox(template: "twice"))
    try await client.deleteSandbox(clone.id)
    try await client.deleteTemplate("twice")
    let failing = try await daemon.raw(
      .POST, "/v1/templates", body: #"{"name": "broken", "ready_cmd": ["no-such-check"]}"#)
    #expect(failing.status == 400 && failing.body.contains("cannot run"))
    #expect(!FileManager.default.fileExists(atPath: daemon.data + "/templates/broken"))
    #expect(daemon.qemuProcesses.isEmpty)
  }

  @Test("the CLI drives the daemon: create, ls, exec, cp, logs, suspend, resume, rm")
  func commandLine() async throws {
    let daemon = try await TestDaemon()
    defer { daemon.finish() }
    let environment = ["COVE_URL": daemon.url, "COVE_API_KEY": daemon.key]
    let id = try await TestDaemon.run(["create", "--image", "busybox"], environment: environment)
      .trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(id.hasPrefix("sb-"))
    #expect(try await TestDaemon.run(["ls"], environment: environment).contains(id))
    let (status, out, _) = try await TestDaemon.runWithStatus(
      ["exec", id, "--", "sh", "-c", "echo from-cli; exit 5"], environment: environment)
    #expect(status == 5 && out == "from-cli\n")
    let local = "/tmp/cove-cp-\(UUID().uuidString.prefix(6))"
    defer {
      try? FileManager.default.removeItem(atPath: local)
      try? FileManager.default.removeItem(atPath: local + ".back")
    }
    try Data("copied\n".utf8).write(to: URL(fileURLWithPath: local))
    try await TestDaemon.run(["cp", local, "\(id):/tmp/copied.txt"], environment: environment)
    try await TestDaemon.run(["cp", "\(id):/tmp/copied.txt", local + ".back"], environment: environment)
    #expect(try String(contentsOfFile: local + ".back", encoding: .utf8) == "copied\n")
    try await TestDaemon.run(
      ["exec", id, "--", "sh", "-c", "echo cli-marker > /dev/console"], environment: environment)
    #expect(try await TestDaemon.run(["logs", id], environment: environment).contains("cli-marker"))
    let json = try await TestDaemon.run(["ls", "--json"], environment: environment)
    #expect(json.contains(#""id" : "\#(id)""#))
    try await TestDaemon.run(["suspend", id], environment: environment)
    #expect(try await TestDaemon.run(["ls", "--state", "suspended"], environment: environment).contains(id))
    try await TestDaemon.run(["resume", id], environment: environment)
    #expect(
      try await TestDaemon.run(["exec", id, "--", "cat", "/tmp/copied.txt"], environment: environment) == "copied\n")
    try await TestDaemon.run(["rm", id], environment: environment)
    let (missing, _, error) = try await TestDaemon.runWithStatus(["rm", id], environment: environment)
    #expect(missing == 1 && error.contains("no sandbox"))
    let (unauthorized, _, denied) = try await TestDaemon.runWithStatus(["ls"], environment: ["COVE_URL": daemon.url])
    #expect(unauthorized == 1 && denied.contains("API key"))
  }
}

/// Output gathered from a stream, by stream.
final class Lines: @unchecked Sendable {
  private let lock = NSLock()
  private var out = Data()
  private var err = Data()

  func add(_ stream: OutputChannel, _ data: Data) {
    lock.withLock { stream == .stdout ? out.append(data) : err.append(data) }
  }
  var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
  var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }
}

extension ServerTests {
  /// A command that waits in the guest until `path` no longer holds `old`.
  static func waitForChange(of path: String, from old: String) -> Command {
    Command(
      [
        "sh", "-c", "while [ \"$(cat \(path))\" = \"$1\" ]; do sleep 0.1; done", "sh",
        old.trimmingCharacters(in: .whitespacesAndNewlines),
      ],
      timeout: 120)
  }

  /// Whether the guest's clock reads the host's time, within a second of
  /// the span the exec took (however long that was on a busy host).
  static func guestClockIsSet(_ client: CoveClient, _ id: String) async throws -> Bool {
    let before = Date().timeIntervalSince1970
    let guest = try await client.exec(id, Command(["date", "+%s"])).stdout
    let after = Date().timeIntervalSince1970
    guard let seconds = Double(guest.trimmingCharacters(in: .whitespacesAndNewlines)) else { return false }
    return (before.rounded(.down) - 1)...(after + 1) ~= seconds
  }
}

/// The stdout events of a Server-Sent Events stream, decoded, and its text.
struct SSEText {
  var text = ""
  var stdout = ""

  mutating func add(_ buffer: ByteBuffer) {
    text += String(buffer: buffer)
    stdout = ""
    for block in text.components(separatedBy: "\n\n") where block.hasPrefix("event: stdout\ndata: ") {
      let json = Data(block.dropFirst("event: stdout\ndata: ".count).utf8)
      if let object = try? JSONSerialization.jsonObject(with: json) as? [String: String],
        let data = object["data"].flatMap({ Data(base64Encoded: $0) })
      {
        stdout += String(decoding: data, as: UTF8.self)
      }
    }
  }
}

extension TestDaemon {
  static func writeRandomFile(_ path: String, megabytes: Int) throws {
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<megabytes {
      var chunk = [UInt8](repeating: 0, count: 1 << 20)
      for index in stride(from: 0, to: chunk.count, by: 8) {
        withUnsafeBytes(of: generator.next() as UInt64) { bytes in
          for offset in 0..<8 { chunk[index + offset] = bytes[offset] }
        }
      }
      try handle.write(contentsOf: chunk)
    }
  }

  static func sha256(file path: String) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    process.arguments = [path]
    let output = Pipe()
    process.standardOutput = output
    try? process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
  }
}
