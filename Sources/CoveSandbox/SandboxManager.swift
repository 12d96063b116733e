import CoveImages
import CoveMachine
import Foundation
import Logging
import Metrics
import Synchronization

/// What a new sandbox should be.
public struct SandboxRequest: Sendable {
  /// The image; nil for the daemon's default.
  public var image: String?
  public var cpus: Int
  public var memoryMiB: Int
  /// Seconds until the reaper stops it.
  public var timeout: Int
  public var env: [String: String]
  public var metadata: [String: String]
  /// Clone this template instead of booting an image.
  public var template: String?
  /// Given to the run hook of a template's clone (a template with hooks).
  public var runPayload: Data?

  public init(
    image: String? = nil, cpus: Int = 1, memoryMiB: Int = 256, timeout: Int = 300,
    env: [String: String] = [:], metadata: [String: String] = [:], template: String? = nil, runPayload: Data? = nil
  ) {
    self.runPayload = runPayload
    self.template = template
    self.image = image
    self.cpus = cpus
    self.memoryMiB = memoryMiB
    self.timeout = timeout
    self.env = env
    self.metadata = metadata
  }
}

/// How many sandboxes, with how much, and where.
public struct ManagerConfiguration: Sendable {
  public var maxSandboxes: Int = 16
  /// Most templates kept (each holds its guest's memory on disk).
  public var maxTemplates: Int = 16
  /// Where templates' snapshots are kept.
  public var templateDirectory: String
  /// Where suspended sandboxes' snapshots are kept, one directory each.
  public var suspendDirectory: String
  /// How long a template's ready command may keep failing.
  public var readyTimeout: Duration = .seconds(120)
  /// The image of a sandbox whose request names none.
  public var defaultImage = "debian"
  /// Guest memory all sandboxes together may have.
  public var memoryBudgetMiB: Int = ManagerConfiguration.defaultMemoryBudget
  public var maxTimeout: Int = 86_400
  /// A hang guard, not a speed expectation: a guest that makes no progress
  /// is caught by the CPU it burns (``QEMUMachine/boot(timeout:permit:admission:stallCPU:)``'s stall check); a
  /// slow one on a saturated host is let finish.
  public var bootTimeout: Duration = .seconds(300)
  /// Where VM directories go (Unix sockets: keep it short); see ``runDirectory(forData:)``.
  public var runDirectory: String
  /// How often the reaper looks for expired and dead sandboxes.
  public var reapInterval: Duration = .seconds(1)
  /// Told once ``SandboxManager/recover()`` has taken over what a previous
  /// daemon left: where more front ends over the manager start (the E2B
  /// listener of `cove serve --e2b-listen`).
  public var onRecovered: (@Sendable (SandboxManager) -> Void)?
  /// Makes a sandbox's VM from its configuration, id and logger: QEMU,
  /// unless a test gives a fake.
  public var makeMachine: @Sendable (MachineConfiguration, String, Logger) -> any VirtualMachine = {
    QEMUMachine(configuration: $0, id: $1, logger: $2)
  }
  /// What a VM of the named image boots from, instead of ``GuestAssets``
  /// (a test with fake VMs needs no kernel or image).
  public var imageConfiguration: (@Sendable (String) async throws -> MachineConfiguration)?

  /// `suspendDirectory` defaults to `suspended` beside `templateDirectory`.
  public init(runDirectory: String, templateDirectory: String, suspendDirectory: String? = nil) {
    self.runDirectory = runDirectory
    self.templateDirectory = templateDirectory
    self.suspendDirectory =
      suspendDirectory
      ?? URL(fileURLWithPath: templateDirectory).deletingLastPathComponent().appendingPathComponent("suspended").path
  }

  /// Half of the host's memory.
  public static var defaultMemoryBudget: Int {
    Int(ProcessInfo.processInfo.physicalMemory / 2 / 1_048_576)
  }

  /// A run directory of its own for the daemon using `data`, apart from the
  /// one `cove run` sweeps, and short enough for socket paths.
  public static func runDirectory(forData data: String) -> String {
    let tag = APIKeys.hash(URL(fileURLWithPath: data).standardized.path).prefix(8)
    return "/tmp/cove-\(getuid())-serve-\(tag)"
  }
}

/// Creates, tracks and ends sandboxes: one QEMU microVM each, recorded in
/// the store so that a restarted daemon takes the running ones over.
public final class SandboxManager: Sendable {
  public let store: SandboxStore
  public let configuration: ManagerConfiguration
  /// The boot queue every VM this manager starts goes through.
  let admission: BootAdmission
  let assets: GuestAssets
  let logger: Logger

  /// The VMs of this process, and the memory each holds against the budget.
  struct Live {
    var machines: [String: any VirtualMachine] = [:]
    var memory: [String: Int] = [:]
    /// Template names being made, so that two requests cannot take one name.
    var templatesInProgress: Set<String> = []
    /// Sandboxes waiting for their turn to boot: cancelling one's wait
    /// cancels its creation.
    var queued: [String: Task<BootPermit, any Error>] = [:]
  }
  let live = Mutex(Live())

  let created = Counter(label: "cove_sandboxes_created_total")
  let failed = Counter(label: "cove_sandboxes_failed_total")
  let reaped = Counter(label: "cove_sandboxes_reaped_total")
  let running = Gauge(label: "cove_sandboxes_running")

  public init(
    store: SandboxStore, assets: GuestAssets, configuration: ManagerConfiguration, logger: Logger,
    admission: BootAdmission = .shared
  ) {
    self.admission = admission
    self.store = store
    self.assets = assets
    self.configuration = configuration
    self.logger = logger
  }

  // MARK: Create

  /// Boots a sandbox and returns it once its agent answers. A sandbox that
  /// fails to start leaves nothing behind: no VM, files or row.
  public func create(_ request: SandboxRequest) async throws -> SandboxRecord {
    var request = request
    var template: TemplateRecord?
    if let name = request.template {
      guard let found = try await store.template(name) else {
        throw SandboxError.invalidRequest("no template named \(name)")
      }
      template = found
    }
    if request.runPayload != nil, template?.hooks == nil {
      throw SandboxError.invalidRequest("a run payload needs a template with lifecycle hooks")
    }
    if let template {
      guard request.image == nil || request.image == template.image else {
        throw SandboxError.invalidRequest("a clone of template \(template.name) has its image, \(template.image)")
      }
      request.image = template.image
      request.cpus = template.cpus
      request.memoryMiB = template.memoryMiB
    }
    request.image = request.image ?? configuration.defaultImage
    try validate(request)
    let image = request.image ?? configuration.defaultImage
    let id = Self.newID()
    try admit(id, memoryMiB: request.memoryMiB)
    var logger = self.logger
    logger[metadataKey: "sandbox"] = "\(id)"
    do {
      var machineConfiguration =
        if let template { template.machineConfiguration } else { try await assetConfiguration(image: image) }
      machineConfiguration.cpus = request.cpus
      machineConfiguration.memoryMiB = request.memoryMiB
      machineConfiguration.runDirectory = configuration.runDirectory
      let now = Date()
      let record = SandboxRecord(
        id: id, image: image, cpus: request.cpus, memoryMiB: request.memoryMiB, state: .queued,
        createdAt: now, expiresAt: now.addingTimeInterval(TimeInterval(request.timeout)), env: request.env,
        metadata: request.metadata, error: nil, kernel: machineConfiguration.kernel,
        initramfs: machineConfiguration.initramfs, rootImage: machineConfiguration.rootImage,
        runDirectory: configuration.runDirectory, template: template?.name)
      try await store.insert(record)
      let machine = configuration.makeMachine(machineConfiguration, id, logger)
      do {
        let clock = ContinuousClock()
        let queued = clock.now
        let permit = try await waitForTurn(id)
        let began = clock.now
        do {
          _ = try await store.modify(id) { try $0.state = $0.state.transition(to: .starting) }
        } catch SandboxError.notFound {
          // Deleted while queued, before its wait could be cancelled.
          throw SandboxError.cancelled(id)
        }
        live.withLock { $0.machines[id] = machine }
        let agent = try await machine.bootGuest(
          timeout: configuration.bootTimeout, permit: permit, admission: admission)
        let answered = clock.now
        try await Self.setIdentity(agent, id: id, env: request.env, clone: template != nil)
        if template?.hooks != nil { try await Self.launch(agent, payload: request.runPayload ?? Data()) }
        let timeout = TimeInterval(request.timeout)
        let started = try await store.modify(id) { record in
          record.state = try record.state.transition(to: .running)
          // The timeout counts from when the sandbox can be used.
          record.expiresAt = Date().addingTimeInterval(timeout)
        }
        created.increment()
        updateRunningGauge()
        logger.info(
          "sandbox running",
          metadata: [
            "image": "\(image)", "memory_mib": "\(request.memoryMiB)",
            "queued_ms": "\(Int((began - queued) / .milliseconds(1)))",
            "boot_ms": "\(Int((answered - began) / .milliseconds(1)))",
            "setup_ms": "\(Int((clock.now - answered) / .milliseconds(1)))",
          ])
        return started
      } catch {
        // A delete while it started (the row gone, or on its way out) is
        // the answer, whatever the boot or the move to running then met
        // (not "cannot go from stopping to running").
        var deleted = false
        do {
          let row = try await store.sandbox(id)
          deleted = row == nil || row?.state == .stopping || row?.state == .stopped
        } catch {
          // An unreadable store says nothing about a delete: the boot's own
          // error is the answer.
        }
        await machine.kill()
        try? await store.delete(sandbox: id)
        if deleted || error is CancellationError { throw SandboxError.cancelled(id) }
        throw (error as? SandboxError) ?? SandboxError.bootFailed("\(error)")
      }
    } catch {
      release(id)
      failed.increment()
      let refused = (error as? SandboxError)?.kind == .invalid
      logger.log(level: refused ? .info : .warning, "sandbox did not start", metadata: ["error": "\(error)"])
      throw error
    }
  }

  /// Waits in the boot queue (``BootAdmission``) for sandbox `id`'s turn;
  /// ``cancelQueued(_:)`` (a delete) or the caller's cancellation ends the
  /// wait with `CancellationError`.
  func waitForTurn(_ id: String) async throws -> BootPermit {
    let admission = self.admission
    let wait = Task { try await admission.admit() }
    live.withLock { $0.queued[id] = wait }
    defer { live.withLock { _ = $0.queued.removeValue(forKey: id) } }
    logger.debug("sandbox queued for boot", metadata: ["sandbox": "\(id)"])
    return try await withTaskCancellationHandler {
      try await wait.value
    } onCancel: {
      wait.cancel()
    }
  }

  /// Ends the wait of a queued sandbox; false when it was not waiting.
  @discardableResult
  func cancelQueued(_ id: String) -> Bool {
    guard let wait = live.withLock({ $0.queued[id] }) else { return false }
    wait.cancel()
    return true
  }

  /// What a VM of `image` boots from; a missing image is the caller's error.
  func assetConfiguration(image: String) async throws -> MachineConfiguration {
    do {
      if let imageConfiguration = configuration.imageConfiguration { return try await imageConfiguration(image) }
      return try await assets.configuration(image: image)
    } catch let error as ImageError {
      // Only a missing or misnamed image is the client's fault; a missing
      // agent, kernel or host program is the server's, and says so.
      switch error {
      case .imageNotFound, .invalidName: throw SandboxError.invalidRequest(error.description)
      default: throw SandboxError.bootFailed(error.description)
      }
    }
  }

  func validate(_ request: SandboxRequest) throws(SandboxError) {
    guard let image = request.image,
      image.range(of: #"^[a-z0-9][a-z0-9._-]{0,62}$"#, options: .regularExpression) != nil
    else {
      throw .invalidRequest("image must be a name of lowercase letters, digits, '.', '_' or '-'")
    }
    let cores = ProcessInfo.processInfo.activeProcessorCount
    guard (1...min(64, cores)).contains(request.cpus) else {
      throw .invalidRequest("cpus must be 1 to \(min(64, cores)) (the host's CPU count)")
    }
    let minimum = MachineConfiguration.minimumMemoryMiB
    guard (minimum...65_536).contains(request.memoryMiB) else {
      throw .invalidRequest("memory_mib must be \(minimum) to 65536 (the guest kernel needs \(minimum) MiB)")
    }
    guard (1...configuration.maxTimeout).contains(request.timeout) else {
      throw .invalidRequest("timeout must be 1 to \(configuration.maxTimeout) seconds")
    }
    for key in request.env.keys where key.isEmpty || key.contains("=") || key.contains("\0") {
      throw .invalidRequest("invalid environment variable name: \(key.debugDescription)")
    }
  }

  /// Reserves room for a sandbox under the limits, or refuses at once.
  func admit(_ id: String, memoryMiB: Int) throws(SandboxError) {
    let limits = configuration
    try live.withLock { (live: inout Live) throws(SandboxError) in
      guard live.memory.count < limits.maxSandboxes else { throw .tooManySandboxes(limit: limits.maxSandboxes) }
      let used = live.memory.values.reduce(0, +)
      guard used + memoryMiB <= limits.memoryBudgetMiB else {
        throw .memoryBudgetExceeded(
          requested: memoryMiB, available: limits.memoryBudgetMiB - used, budget: limits.memoryBudgetMiB)
      }
      live.memory[id] = memoryMiB
    }
  }

  func release(_ id: String) {
    live.withLock { live in
      live.machines[id] = nil
      live.memory[id] = nil
    }
    updateRunningGauge()
  }

  func updateRunningGauge() {
    running.record(live.withLock { $0.machines.count })
  }

  /// What every sandbox's processes start with, unless its env says otherwise.
  static let baseEnvironment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]

  static func newID() -> String {
    "sb-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
  }

  // MARK: Read

  public func get(_ id: String) async throws -> SandboxRecord {
    guard let record = try await store.sandbox(id) else { throw SandboxError.notFound(id) }
    return record
  }

  /// Sandboxes in `state` (all when nil) whose metadata has every pair in `metadata`.
  public func list(state: SandboxState? = nil, metadata: [String: String] = [:]) async throws -> [SandboxRecord] {
    try await store.sandboxes(in: state.map { [$0] }).filter { record in
      metadata.allSatisfy { record.metadata[$0.key] == $0.value }
    }
  }

  /// The VM of a sandbox that must be running for `operation`.
  public func machine(_ id: String, for operation: String) async throws -> any VirtualMachine {
    let record = try await get(id)
    guard record.state == .running, let machine = live.withLock({ $0.machines[id] }) else {
      throw SandboxError.wrongState(id: id, state: record.state, operation: operation)
    }
    return machine
  }

  /// The guest of a running sandbox, for `operation`: the one way the API
  /// and the manager reach a sandbox's agent.
  public func guest(_ id: String, for operation: String) async throws -> any GuestAgent {
    let machine = try await machine(id, for: operation)
    do {
      return try await machine.guestAgent(timeout: .seconds(5))
    } catch {
      throw SandboxError.unavailable("the agent of sandbox \(id) does not answer: \(error)")
    }
  }

  /// The end of the guest console of a sandbox whose VM exists.
  public func consoleLog(_ id: String, limit: Int = 65_536) async throws -> String {
    let record = try await get(id)
    guard let machine = live.withLock({ $0.machines[id] }) else {
      throw SandboxError.wrongState(id: id, state: record.state, operation: "the console log")
    }
    return machine.consoleTail(limit: limit)
  }

  // MARK: Change

  /// Moves the deadline to `seconds` from now.
  public func extend(_ id: String, timeout seconds: Int) async throws -> SandboxRecord {
    guard (1...configuration.maxTimeout).contains(seconds) else {
      throw SandboxError.invalidRequest("timeout must be 1 to \(configuration.maxTimeout) seconds")
    }
    return try await store.modify(id) { record in
      guard record.state.holdsMachine, record.state != .stopping else {
        throw SandboxError.wrongState(id: id, state: record.state, operation: "extending the timeout")
      }
      record.expiresAt = Date().addingTimeInterval(TimeInterval(seconds))
    }
  }

  /// Stops the sandbox's VM (if any) and forgets the sandbox.
  public func delete(_ id: String) async throws {
    let record = try await get(id)
    if record.state == .queued {
      // Its creation (or resume) sees the wait cancelled, or the row gone,
      // and ends; a resume's snapshot goes with the sandbox.
      cancelQueued(id)
      try? await store.delete(sandbox: id)
      try? FileManager.default.removeItem(atPath: suspendDirectory(of: id))
      logger.info("queued sandbox cancelled", metadata: ["sandbox": "\(id)"])
      return
    }
    if record.state.isLive { try await stop(id, reason: nil) }
    try await store.delete(sandbox: id)
    logger.info("sandbox deleted", metadata: ["sandbox": "\(id)"])
  }

  /// Stops the sandbox's VM, or discards its suspended snapshot; the
  /// sandbox stays, `stopped`, with `reason`.
  public func stop(_ id: String, reason: String?) async throws {
    let current = try await get(id)
    if current.state == .running, await hooks(of: current) != nil,
      let agent = try? await live.withLock({ $0.machines[id] })?.guestAgent(timeout: .seconds(2))
    {
      // The workload's last word; a guest that does not give it goes anyway.
      let result = try? await Self.invoke(.terminate, agent: agent, timeout: .seconds(10))
      if result?.succeeded != true {
        logger.info(
          "terminate hook did not succeed", metadata: ["sandbox": "\(id)", "message": "\(result?.message ?? "")"])
      }
    }
    _ = try await store.modify(id) { record in
      record.state = try record.state.transition(to: .stopping)
      record.error = reason
      record.suspendedAt = nil
    }
    let machine = live.withLock { $0.machines[id] }
    await machine?.stop(grace: .seconds(3))
    release(id)
    try? FileManager.default.removeItem(atPath: suspendDirectory(of: id))
    _ = try await store.modify(id) { try $0.state = $0.state.transition(to: .stopped) }
  }
}
