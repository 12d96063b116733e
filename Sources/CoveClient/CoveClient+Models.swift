import CoveAPIContract
import Foundation

/// What can go wrong talking to `cove serve`.
public enum CoveClientError: Error, CustomStringConvertible, Sendable {
  /// The API answered with an error.
  case api(status: Int, code: String, message: String)
  case protocolViolation(String)
  case local(String)

  public var description: String {
    switch self {
    case .api(let status, let code, let message): "\(message) (\(status) \(code))"
    case .protocolViolation(let why): "unexpected answer from the daemon: \(why)"
    case .local(let why): why
    }
  }
}

/// How a command ended.
public struct ExitStatus: Codable, Sendable {
  public var exitCode: Int32
  public var signal: Int32?
  public var timedOut: Bool

  enum CodingKeys: String, CodingKey {
    case signal
    case exitCode = "exit_code"
    case timedOut = "timed_out"
  }

  init(exitCode: Int, signal: Int?, timedOut: Bool) {
    self.exitCode = Int32(clamping: exitCode)
    self.signal = signal.map { Int32(clamping: $0) }
    self.timedOut = timedOut
  }

  init(_ status: Components.Schemas.ExitStatus) {
    self.init(exitCode: status.exitCode, signal: status.signal, timedOut: status.timedOut)
  }
}

extension ExecResult {
  /// The output's bytes, whether they came as text or base64.
  public var stdoutData: Data { base64 ? Data(base64Encoded: stdout) ?? Data() : Data(stdout.utf8) }
  public var stderrData: Data { base64 ? Data(base64Encoded: stderr) ?? Data() : Data(stderr.utf8) }
}

/// Which of a command's output streams a piece came from.
public enum OutputChannel: Sendable { case stdout, stderr }

// CoveAPIModels' shapes, which the CLI and Swift programs use, from and to
// the generated ones.

extension Sandbox {
  init(_ sandbox: Components.Schemas.Sandbox) {
    self.init(
      id: sandbox.id, image: sandbox.image, cpus: sandbox.cpus, memoryMiB: sandbox.memoryMib,
      state: .init(sandbox.state), createdAt: sandbox.createdAt, expiresAt: sandbox.expiresAt,
      metadata: sandbox.metadata.additionalProperties, error: sandbox.error, template: sandbox.template,
      suspendedAt: sandbox.suspendedAt)
  }
}

extension Sandbox.State {
  init(_ state: Components.Schemas.Sandbox.StatePayload) {
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

extension Template {
  init(_ template: Components.Schemas.Template) {
    self.init(
      name: template.name, image: template.image, cpus: template.cpus, memoryMiB: template.memoryMib,
      startCmd: template.startCmd, readyCmd: template.readyCmd, hooks: template.hooks.map(TemplateHooks.init),
      services: template.services?.map(GuestService.init), createdAt: template.createdAt)
  }
}

extension TemplateHooks {
  init(_ hooks: Components.Schemas.Hooks) {
    self.init(
      validate: hooks.validate, run: hooks.run, suspend: hooks.suspend, resume: hooks.resume,
      terminate: hooks.terminate, httpPort: hooks.httpPort)
  }
}

extension Components.Schemas.Hooks {
  init(_ hooks: TemplateHooks) {
    self.init(
      validate: hooks.validate, run: hooks.run, suspend: hooks.suspend, resume: hooks.resume,
      terminate: hooks.terminate, httpPort: hooks.httpPort)
  }
}

extension GuestService {
  init(_ service: Components.Schemas.Service) {
    self.init(
      name: service.name, cmd: service.cmd, user: service.user, group: service.group,
      env: service.env?.additionalProperties, cwd: service.cwd,
      restart: service.restart.flatMap { Restart(rawValue: $0.rawValue) })
  }
}

extension Components.Schemas.Service {
  init(_ service: GuestService) {
    self.init(
      name: service.name, cmd: service.cmd, user: service.user, group: service.group,
      env: service.env.map { .init(additionalProperties: $0) }, cwd: service.cwd,
      restart: service.restart.flatMap { RestartPayload(rawValue: $0.rawValue) })
  }
}

extension Components.Schemas.Command {
  init(_ command: Command) {
    self.init(
      cmd: command.cmd, env: command.env.map { .init(additionalProperties: $0) }, cwd: command.cwd,
      user: command.user, timeout: command.timeout, stdin: command.stdin, tag: command.tag)
  }
}
