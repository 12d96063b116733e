import CoveImages
import CoveMachine
import Foundation
import Logging
import ServiceLifecycle
import Testing

@testable import CoveSandbox

/// The sandbox manager's logic (admission, the boot queue, state changes,
/// the reaper, recovery) over fake VMs: milliseconds a test, no QEMU. The
/// real-QEMU suites stay the proof that the features work.
@Suite("the sandbox manager, over fake VMs")
struct ManagerTests {
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cove-manager-\(UUID().uuidString)")
  let host = FakeHost()

  /// A manager over a store in this test's directory; `limits` adjusts its configuration.
  func manager(
    store: SandboxStore? = nil, admission: BootAdmission = BootAdmission(limit: 2, hostWide: false),
    _ limits: (inout ManagerConfiguration) -> Void = { _ in }
  ) throws -> SandboxManager {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    var configuration = ManagerConfiguration(
      runDirectory: directory.path + "/run", templateDirectory: directory.path + "/templates")
    let host = self.host
    configuration.makeMachine = { configuration, id, _ in host.make(configuration, id: id) }
    configuration.imageConfiguration = { image in
      guard image == "busybox" else { throw ImageError.imageNotFound(image, available: ["busybox"]) }
      let kernel = GuestKernel(release: "fake", source: "fake", vmlinuz: "/fake", vmlinuzSHA256: "", modules: [])
      return MachineConfiguration(kernel: kernel, initramfs: "/fake.cpio", rootImage: "/fake.ext4")
    }
    limits(&configuration)
    return SandboxManager(
      store: try store ?? SandboxStore(path: directory.path + "/cove.sqlite"), assets: GuestAssets(),
      configuration: configuration, logger: Logger(label: "test"), admission: admission)
  }

  func cleanUp() { try? FileManager.default.removeItem(at: directory) }

  @Test("create boots, names the guest, gives it its environment and runs; delete stops it and forgets it")
  func createAndDelete() async throws {
    defer { cleanUp() }
    let manager = try manager()
    let record = try await manager.create(SandboxRequest(image: "busybox", env: ["A": "1"]))
    #expect(record.state == .running)
    let machine = try #require(host.machine(record.id))
    #expect(machine.state == .running)
    let calls = machine.guest.calls.withLock { $0 }
    #expect(calls.hostname == record.id)
    #expect(calls.environment?["A"] == "1" && calls.environment?["PATH"] != nil)
    #expect(calls.entropy == 0, "only a clone gets new random numbers")
    #expect(try await manager.list().map(\.id) == [record.id])

    try await manager.delete(record.id)
    #expect(machine.state == .stopped)
    await #expect(throws: SandboxError.self) { try await manager.get(record.id) }
    #expect(manager.live.withLock { $0.machines.isEmpty && $0.memory.isEmpty })
  }

  @Test("limits answer at once, and a failed boot leaves no row, VM or reserved memory")
  func limitsAndFailures() async throws {
    defer { cleanUp() }
    let manager = try manager {
      $0.maxSandboxes = 2
      $0.memoryBudgetMiB = 700
    }
    _ = try await manager.create(SandboxRequest(image: "busybox", memoryMiB: 300))
    await #expect {
      try await manager.create(SandboxRequest(image: "busybox", memoryMiB: 500))
    } throws: { ($0 as? SandboxError)?.kind == .tooMany }
    await #expect {
      try await manager.create(SandboxRequest(image: "nope"))
    } throws: { ($0 as? SandboxError)?.kind == .invalid }

    host.failBoots(true)
    await #expect {
      try await manager.create(SandboxRequest(image: "busybox", memoryMiB: 300))
    } throws: { ($0 as? SandboxError)?.kind == .failed }
    #expect(try await manager.list().count == 1)
    host.failBoots(false)
    // The failed one's memory and place were given back.
    _ = try await manager.create(SandboxRequest(image: "busybox", memoryMiB: 300))
    await #expect {
      try await manager.create(SandboxRequest(image: "busybox"))
    } throws: { ($0 as? SandboxError)?.kind == .tooMany }
  }

  @Test("a sandbox waits `queued` for a boot turn, and a delete then cancels its creation")
  func queuedThenDeleted() async throws {
    defer { cleanUp() }
    let manager = try manager(admission: BootAdmission(limit: 1, hostWide: false))
    host.holdBoots()
    let first = Task { try await manager.create(SandboxRequest(image: "busybox")) }
    let second = Task { try await manager.create(SandboxRequest(image: "busybox")) }
    // One boots (held inside its turn), the other waits for the turn.
    while host.heldBoots < 1 || manager.admission.waiting < 1 { await Task.yield() }
    let states = try await manager.list().map(\.state)
    #expect(states.sorted { $0.rawValue < $1.rawValue } == [.queued, .starting])
    let queued = try #require(try await manager.list(state: .queued).first)
    try await manager.delete(queued.id)
    host.releaseBoots()
    let results = [await first.result, await second.result]
    let started = results.compactMap { try? $0.get() }
    #expect(started.count == 1)
    #expect(
      results.contains { result in
        if case .failure(let error) = result { return (error as? SandboxError)?.kind == .conflict }
        return false
      })
    #expect(try await manager.list().map(\.id) == started.map(\.id))
  }

  @Test("the reaper stops what timed out (the row kept) and marks a VM that died as an error")
  func reaper() async throws {
    defer { cleanUp() }
    let manager = try manager()
    let expiring = try await manager.create(SandboxRequest(image: "busybox", timeout: 60))
    let dying = try await manager.create(SandboxRequest(image: "busybox", timeout: 3600))
    try #require(host.machine(dying.id)).die()
    await manager.reap(now: Date().addingTimeInterval(120))
    let timedOut = try await manager.get(expiring.id)
    #expect(timedOut.state == .stopped && timedOut.error == "timed out")
    #expect(host.machine(expiring.id)?.state == .stopped)
    let dead = try await manager.get(dying.id)
    #expect(dead.state == .error)
    #expect(dead.error?.contains("fake console of \(dying.id)") == true)
    #expect(host.machine(dying.id)?.state == .killed)
  }

  @Test("the reaper service stops a sandbox once its deadline passed, and ends with the service group")
  func reaperService() async throws {
    defer { cleanUp() }
    let manager = try manager { $0.reapInterval = .milliseconds(20) }
    let record = try await manager.create(SandboxRequest(image: "busybox", timeout: 1))
    let group = ServiceGroup(
      services: [SandboxReaper(manager: manager)], gracefulShutdownSignals: [], logger: Logger(label: "test"))
    let running = Task { try await group.run() }
    // A bound only a hang reaches: the sandbox's second passes, then a pass.
    let deadline = ContinuousClock.now + .seconds(120)
    while try await manager.get(record.id).state == .running, ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(20))
    }
    #expect(try await manager.get(record.id).state == .stopped)
    await group.triggerGracefulShutdown()
    try await running.value
  }

  @Test("pause stops the vCPUs and refuses what needs a running sandbox; resume sets the clock again")
  func pauseAndResume() async throws {
    defer { cleanUp() }
    let manager = try manager()
    let record = try await manager.create(SandboxRequest(image: "busybox"))
    let machine = try #require(host.machine(record.id))
    #expect(try await manager.pause(record.id).state == .paused)
    #expect(machine.state == .paused)
    await #expect {
      try await manager.guest(record.id, for: "exec")
    } throws: { ($0 as? SandboxError)?.kind == .conflict }
    await #expect {
      try await manager.pause(record.id)
    } throws: { ($0 as? SandboxError)?.kind == .conflict }
    let clockSets = machine.guest.calls.withLock { $0.clockSets }
    #expect(try await manager.resume(record.id).state == .running)
    #expect(machine.state == .running)
    #expect(machine.guest.calls.withLock { $0.clockSets } == clockSets + 1)
  }

  @Test("a restarted manager takes over the VMs still running and settles the rest as stopped")
  func recovery() async throws {
    defer { cleanUp() }
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let store = try SandboxStore(path: directory.path + "/cove.sqlite")
    let first = try manager(store: store)
    let alive = try await first.create(SandboxRequest(image: "busybox"))
    let gone = try await first.create(SandboxRequest(image: "busybox"))
    try #require(host.machine(gone.id)).die()
    // The first manager stops without stopping its sandboxes, as a daemon
    // killed with -9 or stopped with --keep-sandboxes does.
    let second = try manager(store: store)
    try await second.recover()
    #expect(try await second.get(alive.id).state == .running)
    #expect(try await second.guest(alive.id, for: "exec") is FakeGuest)
    let settled = try await second.get(gone.id)
    #expect(settled.state == .stopped)
    #expect(settled.error == "its VM exited while the daemon was down")
  }
}
