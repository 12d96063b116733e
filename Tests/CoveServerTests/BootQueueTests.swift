import CoveClient
import CoveMachine
import Foundation
import Testing

/// The daemon's boot queue: creates past the host's boot capacity wait as
/// `queued` instead of failing, and a delete cancels a queued one.
// Serialized: both tests hold the same one-permit pool.
@Suite("the boot queue", .serialized, .timeLimit(.minutes(10)))
struct BootQueueTests {
  @Test("creates wait as queued while no boot turn is free, a delete cancels one, the rest start in turn")
  func queue() async throws {
    // The daemon boots one guest at a time, from a host-wide pool of one
    // permit (kept apart from the other tests' pool by its size). The test
    // holds that permit first, so every create must wait, whatever the
    // machine's speed.
    let pool = BootAdmission(limit: 1)
    let held = try await pool.admit()
    let daemon = try await TestDaemon(environment: ["COVE_MAX_BOOTING": "1"])
    defer {
      held.release()
      daemon.finish()
    }
    let client = daemon.client
    let creates = (0..<3).map { _ in
      Task { try await client.createSandbox(CreateSandbox(image: "busybox", memoryMiB: 256, timeout: 300)) }
    }
    var queued: [Sandbox] = []
    while queued.count < 3 {
      queued = try await client.sandboxes(state: "queued")
      try await Task.sleep(for: .milliseconds(100))
    }
    #expect(try await client.sandboxes(state: "starting").isEmpty)
    // An exec in a queued sandbox is refused as a wrong state.
    let exec = try await daemon.raw(.POST, "/v1/sandboxes/\(queued[0].id)/exec", body: #"{"cmd": ["true"]}"#)
    #expect(exec.status == 409)

    // Deleting a queued sandbox cancels its create: 409, and no row is left.
    let cancelled = queued[0].id
    #expect(try await daemon.raw(.DELETE, "/v1/sandboxes/\(cancelled)").status == 204)
    #expect(try await daemon.raw(.GET, "/v1/sandboxes/\(cancelled)").status == 404)

    // Once the host's permit is free, the other two boot, one at a time.
    held.release()
    var running: [String] = []
    var refused = 0
    for create in creates {
      do {
        let sandbox = try await create.value
        #expect(sandbox.state == .running)
        running.append(sandbox.id)
      } catch let error as CoveClientError {
        #expect("\(error)".contains("deleted before it started"), "\(error)")
        refused += 1
      }
    }
    #expect(refused == 1)
    #expect(Set(running) == Set(queued.map(\.id)).subtracting([cancelled]))
    for id in running {
      #expect(try await client.exec(id, Command(["echo", "up"])).stdout == "up\n")
      try await client.deleteSandbox(id)
    }
    #expect(try await client.sandboxes().isEmpty)
    #expect(daemon.qemuProcesses.isEmpty)
  }

  @Test("a resume waits as queued for a boot turn; a delete while it waits cancels it and its snapshot")
  func resumeQueues() async throws {
    let pool = BootAdmission(limit: 1)
    let daemon = try await TestDaemon(environment: ["COVE_MAX_BOOTING": "1"])
    defer { daemon.finish() }
    let client = daemon.client
    let id = try await client.createSandbox(CreateSandbox(image: "busybox", memoryMiB: 256, timeout: 300)).id
    _ = try await client.exec(id, Command(["sh", "-c", "echo kept > /root/mark"]))
    _ = try await client.suspend(id)

    // With the host's single boot turn held, a resume waits, visibly.
    var held = try await pool.admit()
    let resume = Task { try await client.resume(id) }
    while try await client.sandbox(id).state != .queued { try await Task.sleep(for: .milliseconds(100)) }
    held.release()
    let resumed = try await resume.value
    #expect(resumed.state == .running)
    #expect(try await client.exec(id, Command(["cat", "/root/mark"])).stdout == "kept\n")

    // Suspended again, and deleted while its resume waits: the resume is
    // cancelled, and neither the sandbox nor its snapshot is left.
    _ = try await client.suspend(id)
    let saved = daemon.data + "/suspended/" + id
    #expect(FileManager.default.fileExists(atPath: saved))
    held = try await pool.admit()
    defer { held.release() }
    let cancelled = Task { try await client.resume(id) }
    while try await client.sandbox(id).state != .queued { try await Task.sleep(for: .milliseconds(100)) }
    #expect(try await daemon.raw(.DELETE, "/v1/sandboxes/\(id)").status == 204)
    await #expect(throws: CoveClientError.self) { try await cancelled.value }
    #expect(try await daemon.raw(.GET, "/v1/sandboxes/\(id)").status == 404)
    #expect(!FileManager.default.fileExists(atPath: saved))
    #expect(daemon.qemuProcesses.isEmpty)
  }
}
