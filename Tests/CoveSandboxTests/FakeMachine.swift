import CoveMachine
import Foundation
import Synchronization

/// VMs without a hypervisor: each boots at once (or when a test lets it),
/// answers with a ``FakeGuest``, and can be made to fail or to die. The
/// host outlives managers, as QEMU outlives a daemon, so a second manager
/// over the same store can attach to what the first left running.
final class FakeHost: Sendable {
  private struct State {
    /// Every VM made for an id, oldest first (a restart makes another to attach).
    var machines: [String: [FakeMachine]] = [:]
    var failBoots = false
    var holdBoots = false
    var held: [CheckedContinuation<Void, Never>] = []
  }
  private let state = Mutex(State())

  func make(_ configuration: MachineConfiguration, id: String) -> any VirtualMachine {
    let machine = FakeMachine(id: id, configuration: configuration, host: self)
    state.withLock { $0.machines[id, default: []].append(machine) }
    return machine
  }

  /// The latest VM made for `id`.
  func machine(_ id: String) -> FakeMachine? { state.withLock { $0.machines[id]?.last } }

  /// Whether a VM made earlier for `id` than `machine` still runs.
  func earlierRuns(_ machine: FakeMachine) -> Bool {
    state.withLock { $0.machines[machine.id] ?? [] }.contains { $0 !== machine && $0.isRunning }
  }

  /// Boots from now on fail (as a guest whose agent never answers).
  func failBoots(_ fail: Bool) { state.withLock { $0.failBoots = fail } }

  /// Boots from now on wait inside their turn until ``releaseBoots()``.
  func holdBoots() { state.withLock { $0.holdBoots = true } }

  func releaseBoots() {
    let held = state.withLock { state in
      state.holdBoots = false
      defer { state.held = [] }
      return state.held
    }
    for boot in held { boot.resume() }
  }

  /// Boots waiting in ``holdBoots()``.
  var heldBoots: Int { state.withLock { $0.held.count } }

  fileprivate func boot() async throws {
    await withCheckedContinuation { continuation in
      let hold = state.withLock { state in
        if state.holdBoots { state.held.append(continuation) }
        return state.holdBoots
      }
      if !hold { continuation.resume() }
    }
    if state.withLock({ $0.failBoots }) {
      throw MachineError.agentTimeout(seconds: 1, console: "fake: the agent never answered")
    }
  }
}

final class FakeMachine: VirtualMachine {
  enum Life: Equatable { case created, running, paused, saved, stopped, killed, detached }

  let id: String
  let configuration: MachineConfiguration
  let guest = FakeGuest()
  private let host: FakeHost
  private let life = Mutex(Life.created)
  /// Set by ``die()``: the hypervisor went away by itself.
  private let died = Mutex(false)

  init(id: String, configuration: MachineConfiguration, host: FakeHost) {
    self.id = id
    self.configuration = configuration
    self.host = host
  }

  var state: Life { life.withLock { $0 } }

  func die() { died.withLock { $0 = true } }

  var isRunning: Bool {
    !died.withLock { $0 } && [.running, .paused, .detached].contains(state)
  }

  func bootGuest(timeout: Duration, permit: BootPermit?, admission: BootAdmission) async throws -> any GuestAgent {
    let turn: BootPermit
    if let permit { turn = permit } else { turn = try await admission.admit() }
    defer { turn.release() }
    try await host.boot()
    life.withLock { $0 = .running }
    return guest
  }

  func attach() async throws {
    guard host.earlierRuns(self) else { throw MachineError.notRunning }
    life.withLock { $0 = .running }
  }

  func guestAgent(timeout: Duration) async throws -> any GuestAgent {
    guard isRunning else { throw MachineError.notRunning }
    return guest
  }

  func pause() async throws { life.withLock { $0 = .paused } }
  func resume() async throws { life.withLock { $0 = .running } }

  func snapshot(into directory: String) async throws -> MachineSnapshot {
    let snapshot = MachineSnapshot(directory: directory, memoryMiB: configuration.memoryMiB, cpus: configuration.cpus)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    for file in [snapshot.memory, snapshot.state, snapshot.disk] {
      _ = FileManager.default.createFile(atPath: file, contents: Data("fake".utf8))
    }
    life.withLock { $0 = .saved }
    return snapshot
  }

  func keepSnapshotFiles() {}
  func stop(grace: Duration) async { life.withLock { $0 = .stopped } }
  func kill() async { life.withLock { $0 = .killed } }
  func detach() async { life.withLock { $0 = .detached } }
  func consoleTail(limit: Int) -> String { "fake console of \(id)" }
}
