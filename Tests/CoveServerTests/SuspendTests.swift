import CoveClient
import Foundation
import Testing

@Suite("suspend to disk and templates of running sandboxes", .serialized)
struct SuspendTests {
  @Test(
    "suspend: the VM goes; a daemon restart later, resume brings back its processes, files and timeout; a template of a running sandbox; a suspended clone resumes"
  )
  func suspendAcrossRestart() async throws {
    let daemon = try await TestDaemon(arguments: ["--default-image", "busybox"])
    defer { daemon.finish() }
    var client = daemon.client
    let sandbox = try await client.createSandbox(CreateSandbox(image: "busybox", timeout: 600))
    let id = sandbox.id
    let started = try await daemon.raw(
      .POST, "/v1/sandboxes/\(id)/processes",
      body: #"{"cmd": ["sh", "-c", "while true; do date +%s >> /tmp/ticks; sleep 1; done"], "tag": "ticker"}"#)
    #expect(started.status == 201)
    _ = try await client.exec(id, Command(["sh", "-c", "echo before > /tmp/mark"]))
    let suspended = try await client.suspend(id)
    #expect(suspended.state == .suspended && suspended.suspendedAt != nil)
    #expect(daemon.qemuProcesses.isEmpty, "a suspended sandbox keeps no VM")
    let saved = daemon.data + "/suspended/" + id
    #expect(FileManager.default.fileExists(atPath: saved + "/state"))
    #expect(try await daemon.raw(.POST, "/v1/sandboxes/\(id)/suspend").status == 409)
    let refused = try await daemon.raw(.POST, "/v1/sandboxes/\(id)/exec", body: #"{"cmd": ["true"]}"#)
    #expect(refused.status == 409 && refused.body.contains("suspended"))

    // The daemon dies and comes back; the sandbox waits on disk.
    await daemon.stop(signal: SIGKILL)
    try await Task.sleep(for: .seconds(2))
    try await daemon.start()
    client = daemon.client  // a new port
    #expect(try await client.sandbox(id).state == .suspended)
    let resumed = try await client.resume(id)
    #expect(resumed.state == .running && resumed.suspendedAt == nil)
    // The timeout stood still while it was suspended.
    #expect(resumed.expiresAt.timeIntervalSince(sandbox.expiresAt) >= 2)
    #expect(!FileManager.default.fileExists(atPath: saved))
    #expect(try await client.exec(id, Command(["cat", "/tmp/mark"])).stdout == "before\n")
    #expect(try await daemon.raw(.GET, "/v1/sandboxes/\(id)/processes").body.contains("ticker"))
    // The ticker runs on: the guest waits for its next line (120 s bounds only a stopped one).
    let tail = try await client.exec(id, Command(["tail", "-n", "1", "/tmp/ticks"])).stdout
    let ticked = try await client.exec(id, ServerTests.waitForChange(of: "/tmp/ticks | tail -n 1", from: tail))
    #expect(ticked.exitCode == 0 && !ticked.timedOut, "the ticker stopped")
    #expect(try await ServerTests.guestClockIsSet(client, id), "the guest clock is off after the resume")

    // A template of the running sandbox, which carries on.
    let template = try await client.createTemplate(from: id, name: "from-running")
    #expect(template.image == "busybox")
    #expect(try await client.sandbox(id).state == .running)
    #expect(try await client.exec(id, Command(["cat", "/tmp/mark"])).stdout == "before\n")
    let clone = try await client.createSandbox(CreateSandbox(template: "from-running"))
    #expect(try await client.exec(clone.id, Command(["cat", "/tmp/mark"])).stdout == "before\n")
    _ = try await client.exec(clone.id, Command(["sh", "-c", "echo clone > /tmp/mark"]))
    // A clone's memory is its template's, privately: its snapshot carries its RAM.
    #expect(try await client.suspend(clone.id).state == .suspended)
    #expect(FileManager.default.fileExists(atPath: daemon.data + "/suspended/\(clone.id)/memory-in-state"))
    #expect(try await client.resume(clone.id).state == .running)
    #expect(try await client.exec(clone.id, Command(["cat", "/tmp/mark"])).stdout == "clone\n")
    #expect(try await client.exec(clone.id, Command(["hostname"])).stdout == clone.id + "\n")
    // Suspended, the clone still needs its template.
    _ = try await client.suspend(clone.id)
    let inUse = try await daemon.raw(.DELETE, "/v1/templates/from-running")
    #expect(inUse.status == 409 && inUse.body.contains(clone.id))
    try await client.deleteSandbox(clone.id)
    #expect(!FileManager.default.fileExists(atPath: daemon.data + "/suspended/\(clone.id)"))
    try await client.deleteTemplate("from-running")
    // A paused sandbox is paused again once its template is made.
    _ = try await client.pause(id)
    _ = try await client.createTemplate(from: id, name: "from-paused")
    #expect(try await client.sandbox(id).state == .paused)
    #expect(try await client.resume(id).state == .running)
    try await client.deleteTemplate("from-paused")
    try await client.deleteSandbox(id)
    #expect(daemon.qemuProcesses.isEmpty)
    let left = (try? FileManager.default.contentsOfDirectory(atPath: daemon.data + "/suspended")) ?? []
    #expect(left.isEmpty, "suspended snapshots left: \(left)")
  }

  /// Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN).
  static var canMount: Bool {
    let probe = NSTemporaryDirectory() + "cove-mount-probe-\(getpid())"
    try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: probe) }
    guard mount("tmpfs", probe, "tmpfs", 0, "size=1m") == 0 else { return false }
    umount(probe)
    return true
  }

  @Test(
    "a suspend that might not fit on disk is refused with 507 before anything changes", .enabled(if: canMount))
  func suspendWithoutRoom() async throws {
    let daemon = try await TestDaemon(arguments: ["--default-image", "busybox"])
    defer { daemon.finish() }
    let small = daemon.data + "/suspended"
    try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
    #expect(mount("tmpfs", small, "tmpfs", 0, "size=64m") == 0)
    defer { umount(small) }
    let sandbox = try await daemon.client.createSandbox(CreateSandbox(image: "busybox"))
    let refused = try await daemon.raw(.POST, "/v1/sandboxes/\(sandbox.id)/suspend")
    #expect(refused.status == 507 && refused.body.contains("insufficient_storage"))
    #expect(try await daemon.client.sandbox(sandbox.id).state == .running)
    #expect(try await daemon.client.exec(sandbox.id, Command(["true"])).exitCode == 0)
    try await daemon.client.deleteSandbox(sandbox.id)
  }
}
