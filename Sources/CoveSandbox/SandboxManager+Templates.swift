import CoveAPIModels
import CoveImages
import CoveMachine
import Foundation

/// What a new template should be.
public struct TemplateRequest: Sendable {
  public var name: String
  public var image: String?
  public var cpus: Int
  public var memoryMiB: Int
  /// Started in the background before the snapshot; keeps running in clones.
  public var startCommand: [String]?
  /// Run until it exits 0; the snapshot is taken then. It is the ready hook.
  public var readyCommand: [String]?
  /// The other lifecycle hooks, which the daemon drives for the clones.
  public var hooks: TemplateHooks
  /// Started (before the start and ready commands) and kept running.
  public var services: [GuestService]

  public init(
    name: String, image: String? = nil, cpus: Int = 1, memoryMiB: Int = 256, startCommand: [String]? = nil,
    readyCommand: [String]? = nil, hooks: TemplateHooks = TemplateHooks(), services: [GuestService] = []
  ) {
    self.hooks = hooks
    self.services = services
    self.name = name
    self.image = image
    self.cpus = cpus
    self.memoryMiB = memoryMiB
    self.startCommand = startCommand
    self.readyCommand = readyCommand
  }
}

extension TemplateRecord {
  public var snapshot: MachineSnapshot { MachineSnapshot(directory: directory, memoryMiB: memoryMiB, cpus: cpus) }

  /// What a clone boots from: the snapshot's memory, state and disk.
  var machineConfiguration: MachineConfiguration {
    var configuration = MachineConfiguration(kernel: kernel, initramfs: initramfs, rootImage: snapshot.disk)
    configuration.cpus = cpus
    configuration.memoryMiB = memoryMiB
    configuration.rootImageFormat = "qcow2"
    configuration.restore = snapshot
    return configuration
  }
}

extension SandboxManager {
  /// Boots a VM of the template's image, starts its start command, waits
  /// until its ready command succeeds, and snapshots it. Nothing is left of
  /// a template that fails: no VM, files or row.
  public func createTemplate(_ request: TemplateRequest) async throws -> TemplateRecord {
    try Self.validateTemplateName(request.name)
    let commands = [request.startCommand, request.readyCommand] + request.hooks.commands.map(\.1)
    for command in commands.compactMap({ $0 }) where command.first?.isEmpty ?? true {
      throw SandboxError.invalidRequest("a start, ready or hook command must name a program")
    }
    for service in request.services where service.cmd.first?.isEmpty ?? true {
      throw SandboxError.invalidRequest("service \(service.name) must name a program")
    }
    if let port = request.hooks.httpPort, !(1...65535).contains(port) {
      throw SandboxError.invalidRequest("http_port must be 1 to 65535")
    }
    let image = request.image ?? configuration.defaultImage
    try validate(SandboxRequest(image: image, cpus: request.cpus, memoryMiB: request.memoryMiB, timeout: 1))
    let name = request.name
    try await claimTemplateName(name)
    defer { _ = live.withLock { $0.templatesInProgress.remove(name) } }
    let id = "tpl-" + Self.newID().dropFirst(3)
    try admit(id, memoryMiB: request.memoryMiB)
    defer { release(id) }
    var machineConfiguration = try await assetConfiguration(image: image)
    machineConfiguration.cpus = request.cpus
    machineConfiguration.memoryMiB = request.memoryMiB
    machineConfiguration.runDirectory = configuration.runDirectory
    var logger = self.logger
    logger[metadataKey: "template"] = "\(request.name)"
    let machine = configuration.makeMachine(machineConfiguration, id, logger)
    let directory = configuration.templateDirectory + "/" + request.name
    do {
      let agent = try await machine.bootGuest(timeout: configuration.bootTimeout, permit: nil, admission: admission)
      try await Self.prepare(agent, ready: request.readyCommand, hooks: request.hooks, services: request.services)
      if let start = request.startCommand {
        _ = try await agent.launch(ProcessSpec(argv: start, tag: "template-start"))
      }
      try await waitUntilReady(agent)
      let snapshot = try await machine.snapshot(into: directory)
      let record = TemplateRecord(
        name: request.name, image: image, cpus: request.cpus, memoryMiB: request.memoryMiB,
        startCommand: request.startCommand, readyCommand: request.readyCommand, createdAt: Date(),
        directory: snapshot.directory, kernel: machineConfiguration.kernel, initramfs: machineConfiguration.initramfs,
        hooks: request.hooks, services: request.services.isEmpty ? nil : request.services)
      try await store.insert(record)
      logger.info("template made", metadata: ["image": "\(image)"])
      return record
    } catch {
      await machine.kill()
      try? FileManager.default.removeItem(atPath: directory)
      throw (error as? SandboxError) ?? SandboxError.bootFailed("\(error)")
    }
  }

  static func validateTemplateName(_ name: String) throws(SandboxError) {
    guard name.range(of: #"^[a-z0-9][a-z0-9._-]{0,62}$"#, options: .regularExpression) != nil else {
      throw .invalidRequest("a template name is lowercase letters, digits, '.', '_' or '-'")
    }
  }

  /// Reserves a template name while the template is made (release it from
  /// `templatesInProgress` afterwards), or refuses when it is taken or
  /// there are as many templates as allowed.
  func claimTemplateName(_ name: String) async throws {
    let claimed = live.withLock { $0.templatesInProgress.insert(name).inserted }
    guard claimed else { throw SandboxError.alreadyExists("template \(name)") }
    do {
      guard try await store.template(name) == nil else { throw SandboxError.alreadyExists("template \(name)") }
      guard try await store.templates().count < configuration.maxTemplates else {
        throw SandboxError.tooManyTemplates(limit: configuration.maxTemplates)
      }
    } catch {
      _ = live.withLock { $0.templatesInProgress.remove(name) }
      throw error
    }
  }

  /// Makes a template of a running or paused sandbox as it stands, which
  /// then carries on: it is suspended, its snapshot copied (the disk
  /// flattened onto its image, so the template does not depend on the
  /// sandbox's own template), and it is resumed.
  public func createTemplate(from id: String, name: String) async throws -> TemplateRecord {
    try Self.validateTemplateName(name)
    let record = try await get(id)
    guard record.state == .running || record.state == .paused else {
      throw SandboxError.wrongState(
        id: id, state: record.state, operation: "making a template", needs: "a running or paused sandbox")
    }
    let base = try await assetConfiguration(image: record.image)
    // Room for the sandbox's snapshot and for the template's copy of it.
    try checkRoom(forMemoryMiB: 2 * record.memoryMiB, in: configuration.templateDirectory)
    // A clone's guest carries its template's hooks on; so do templates of it.
    let hooks = await hooks(of: record)
    try await claimTemplateName(name)
    defer { _ = live.withLock { $0.templatesInProgress.remove(name) } }
    _ = try await suspend(id)
    let saved = MachineSnapshot(directory: suspendDirectory(of: id), memoryMiB: record.memoryMiB, cpus: record.cpus)
    let copy = MachineSnapshot(
      directory: configuration.templateDirectory + "/" + name, memoryMiB: record.memoryMiB, cpus: record.cpus)
    let made: Result<TemplateRecord, any Error>
    do {
      try await Self.copy(saved, to: copy, base: base)
      let template = TemplateRecord(
        name: name, image: record.image, cpus: record.cpus, memoryMiB: record.memoryMiB, startCommand: nil,
        readyCommand: nil, createdAt: Date(), directory: copy.directory, kernel: record.kernel,
        initramfs: record.initramfs, hooks: hooks, services: nil)
      try await store.insert(template)
      made = .success(template)
      logger.info("template made of a sandbox", metadata: ["template": "\(name)", "sandbox": "\(id)"])
    } catch {
      try? FileManager.default.removeItem(atPath: copy.directory)
      made = .failure(error)
    }
    do {
      _ = try await resume(id)
      // A paused sandbox goes back to being paused.
      if record.state == .paused { _ = try await pause(id) }
    } catch {
      logger.warning("the sandbox did not come back as it was", metadata: ["sandbox": "\(id)", "error": "\(error)"])
    }
    return try made.get()
  }

  /// Copies a snapshot; its disk becomes one overlay over `base`'s image.
  static func copy(_ snapshot: MachineSnapshot, to target: MachineSnapshot, base: MachineConfiguration) async throws {
    let manager = FileManager.default
    try manager.createDirectory(atPath: target.directory, withIntermediateDirectories: true)
    try manager.copyItem(atPath: snapshot.state, toPath: target.state)
    if snapshot.holdsMemory {
      try copySparsely(snapshot.memory, to: target.memory)
    } else {
      try manager.copyItem(atPath: snapshot.memoryInStateMarker, toPath: target.memoryInStateMarker)
    }
    try await HostCommand.run(
      "qemu-img",
      [
        "convert", "-q", "-O", "qcow2", "-B", base.rootImage, "-o", "backing_fmt=\(base.rootImageFormat)",
        snapshot.disk, target.disk,
      ],
      package: "qemu-utils")
  }

  /// A clone starts as a copy of another VM: new random numbers (the kernel
  /// reseeds at once) and the current time.
  static func makeUnique(_ agent: any GuestAgent) async throws {
    var generator = SystemRandomNumberGenerator()
    let seed = Data((0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) })
    async let entropy: Void = agent.addEntropy(seed)
    async let clock: Void = agent.setClock(to: Date())
    _ = try await (entropy, clock)
  }

  /// Gives a new sandbox's guest its identity, the calls side by side: a
  /// clone's fresh random numbers and clock, the hostname (its id), and
  /// its environment when it has one.
  static func setIdentity(_ agent: any GuestAgent, id: String, env: [String: String], clone: Bool) async throws {
    async let unique: Void = clone ? makeUnique(agent) : ()
    async let named: Void = agent.setHostname(id)
    async let environment: Void = {
      guard !env.isEmpty else { return }
      // The agent replaces its defaults with what it is given: keep a PATH.
      let merged = baseEnvironment.merging(env) { $1 }
      try await agent.setEnvironment(merged)
    }()
    _ = try await (unique, named, environment)
  }

  public func templates() async throws -> [TemplateRecord] { try await store.templates() }

  public func template(_ name: String) async throws -> TemplateRecord {
    guard let template = try await store.template(name) else { throw SandboxError.templateNotFound(name) }
    return template
  }

  /// Removes a template and its files, unless sandboxes cloned from it run.
  public func deleteTemplate(_ name: String) async throws {
    let template = try await template(name)
    let users = try await store.delete(template: name)
    guard users.isEmpty else { throw SandboxError.templateInUse(name, by: users) }
    try? FileManager.default.removeItem(atPath: template.directory)
    logger.info("template deleted", metadata: ["template": "\(name)"])
  }
}
