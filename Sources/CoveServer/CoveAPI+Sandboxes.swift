import CoveAPIContract
import CoveAPIModels
import CoveSandbox
import Foundation
import OpenAPIRuntime

typealias Schemas = Components.Schemas

extension CoveAPI {
  public func createSandbox(_ input: Operations.CreateSandbox.Input) async throws -> Operations.CreateSandbox.Output {
    guard case .json(let body) = input.body else { throw APIError.badRequest("the body must be JSON") }
    let defaults = SandboxRequest()
    let record = try await manager.create(
      SandboxRequest(
        image: body.image, cpus: body.cpus ?? defaults.cpus, memoryMiB: body.memoryMib ?? defaults.memoryMiB,
        timeout: body.timeout ?? defaults.timeout, env: body.env?.additionalProperties ?? [:],
        metadata: body.metadata?.additionalProperties ?? [:], template: body.template,
        runPayload: body.runPayload.map { Data($0.utf8) }))
    return .created(.init(body: .json(Schemas.Sandbox(record))))
  }

  public func listSandboxes(_ input: Operations.ListSandboxes.Input) async throws -> Operations.ListSandboxes.Output {
    var metadata: [String: String] = [:]
    for pair in input.query.metadata ?? [] {
      guard let equals = pair.firstIndex(of: "=") else { throw APIError.badRequest("metadata filters are key=value") }
      metadata[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
    }
    // The document's states are the manager's: one enum each, checked by a test.
    let state = input.query.state.flatMap { SandboxState(rawValue: $0.rawValue) }
    let records = try await manager.list(state: state, metadata: metadata)
    return .ok(.init(body: .json(.init(sandboxes: records.map(Schemas.Sandbox.init)))))
  }

  public func getSandbox(_ input: Operations.GetSandbox.Input) async throws -> Operations.GetSandbox.Output {
    .ok(.init(body: .json(Schemas.Sandbox(try await manager.get(input.path.id)))))
  }

  public func deleteSandbox(_ input: Operations.DeleteSandbox.Input) async throws -> Operations.DeleteSandbox.Output {
    try await manager.delete(input.path.id)
    return .noContent(.init())
  }

  public func setTimeout(_ input: Operations.SetTimeout.Input) async throws -> Operations.SetTimeout.Output {
    guard case .json(let body) = input.body else { throw APIError.badRequest("the body must be JSON") }
    return .ok(.init(body: .json(Schemas.Sandbox(try await manager.extend(input.path.id, timeout: body.timeout)))))
  }

  public func pauseSandbox(_ input: Operations.PauseSandbox.Input) async throws -> Operations.PauseSandbox.Output {
    .ok(.init(body: .json(Schemas.Sandbox(try await manager.pause(input.path.id)))))
  }

  public func resumeSandbox(_ input: Operations.ResumeSandbox.Input) async throws -> Operations.ResumeSandbox.Output {
    .ok(.init(body: .json(Schemas.Sandbox(try await manager.resume(input.path.id)))))
  }

  public func suspendSandbox(_ input: Operations.SuspendSandbox.Input) async throws -> Operations.SuspendSandbox.Output
  {
    .ok(.init(body: .json(Schemas.Sandbox(try await manager.suspend(input.path.id)))))
  }

  public func sandboxLogs(_ input: Operations.SandboxLogs.Input) async throws -> Operations.SandboxLogs.Output {
    .ok(.init(body: .plainText(HTTPBody(try await manager.consoleLog(input.path.id)))))
  }

  // MARK: Templates

  public func createTemplate(_ input: Operations.CreateTemplate.Input) async throws -> Operations.CreateTemplate.Output
  {
    guard case .json(let body) = input.body else { throw APIError.badRequest("the body must be JSON") }
    let record = try await manager.createTemplate(
      TemplateRequest(
        name: body.name, image: body.image, cpus: body.cpus ?? 1, memoryMiB: body.memoryMib ?? 256,
        startCommand: body.startCmd, readyCommand: body.readyCmd,
        hooks: body.hooks.map(TemplateHooks.init) ?? TemplateHooks(),
        services: (body.services ?? []).map(GuestService.init)))
    return .created(.init(body: .json(Schemas.Template(record))))
  }

  public func templateFromSandbox(_ input: Operations.TemplateFromSandbox.Input) async throws
    -> Operations.TemplateFromSandbox.Output
  {
    guard case .json(let body) = input.body else { throw APIError.badRequest("the body must be JSON") }
    let record = try await manager.createTemplate(from: input.path.id, name: body.name)
    return .created(.init(body: .json(Schemas.Template(record))))
  }

  public func listTemplates(_ input: Operations.ListTemplates.Input) async throws -> Operations.ListTemplates.Output {
    .ok(.init(body: .json(.init(templates: try await manager.templates().map(Schemas.Template.init)))))
  }

  public func getTemplate(_ input: Operations.GetTemplate.Input) async throws -> Operations.GetTemplate.Output {
    .ok(.init(body: .json(Schemas.Template(try await manager.template(input.path.name)))))
  }

  public func deleteTemplate(_ input: Operations.DeleteTemplate.Input) async throws -> Operations.DeleteTemplate.Output
  {
    try await manager.deleteTemplate(input.path.name)
    return .noContent(.init())
  }
}

// The API's shapes of the manager's records.

extension Schemas.Sandbox {
  init(_ record: SandboxRecord) {
    self.init(
      id: record.id, image: record.image, cpus: record.cpus, memoryMib: record.memoryMiB, state: .init(record.state),
      createdAt: record.createdAt, expiresAt: record.expiresAt, metadata: .init(additionalProperties: record.metadata),
      error: record.error, template: record.template, suspendedAt: record.suspendedAt)
  }
}

extension Schemas.Sandbox.StatePayload {
  init(_ state: SandboxState) {
    switch state {
    case .queued: self = .queued
    case .starting: self = .starting
    case .running: self = .running
    case .paused: self = .paused
    case .snapshotting: self = .snapshotting
    case .suspended: self = .suspended
    case .stopping: self = .stopping
    case .stopped: self = .stopped
    case .error: self = .error
    }
  }
}

extension Schemas.Template {
  init(_ record: TemplateRecord) {
    self.init(
      name: record.name, image: record.image, cpus: record.cpus, memoryMib: record.memoryMiB,
      startCmd: record.startCommand, readyCmd: record.readyCommand, hooks: record.hooks.map(Schemas.Hooks.init),
      services: record.services?.map(Schemas.Service.init), createdAt: record.createdAt)
  }
}

extension Schemas.Hooks {
  init(_ hooks: TemplateHooks) {
    self.init(
      validate: hooks.validate, run: hooks.run, suspend: hooks.suspend, resume: hooks.resume,
      terminate: hooks.terminate, httpPort: hooks.httpPort)
  }
}

extension TemplateHooks {
  init(_ hooks: Schemas.Hooks) {
    self.init(
      validate: hooks.validate, run: hooks.run, suspend: hooks.suspend, resume: hooks.resume,
      terminate: hooks.terminate, httpPort: hooks.httpPort)
  }
}

extension Schemas.Service {
  init(_ service: GuestService) {
    self.init(
      name: service.name, cmd: service.cmd, user: service.user, group: service.group,
      env: service.env.map { .init(additionalProperties: $0) }, cwd: service.cwd,
      restart: service.restart.map { .init(rawValue: $0.rawValue) ?? .onFailure })
  }
}

extension GuestService {
  init(_ service: Schemas.Service) {
    self.init(
      name: service.name, cmd: service.cmd, user: service.user, group: service.group,
      env: service.env?.additionalProperties, cwd: service.cwd,
      restart: service.restart.flatMap { GuestService.Restart(rawValue: $0.rawValue) })
  }
}
