import CoveAPIModels
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

public struct CreateSandbox: Codable, Sendable {
  public var image: String?
  public var cpus: Int?
  public var memoryMiB: Int?
  public var timeout: Int?
  public var env: [String: String]?
  public var metadata: [String: String]?
  public var template: String?
  /// Given to the run hook of a clone of a template with hooks.
  public var runPayload: String?

  public init(
    image: String? = nil, cpus: Int? = nil, memoryMiB: Int? = nil, timeout: Int? = nil, env: [String: String]? = nil,
    metadata: [String: String]? = nil, template: String? = nil, runPayload: String? = nil
  ) {
    self.template = template
    self.runPayload = runPayload
    self.image = image
    self.cpus = cpus
    self.memoryMiB = memoryMiB
    self.timeout = timeout
    self.env = env
    self.metadata = metadata
  }

  enum CodingKeys: String, CodingKey {
    case image, cpus, timeout, env, metadata, template
    case memoryMiB = "memory_mib"
    case runPayload = "run_payload"
  }
}

/// A service as it runs in a sandbox.
public struct ServiceStatus: Codable, Sendable, Equatable {
  public var name: String
  /// running, backoff or exited.
  public var state: String
  public var pid: Int?
  public var restarts: Int
  public var lastExit: Int?
  public var uid: Int
  public var gid: Int

  enum CodingKeys: String, CodingKey {
    case name, state, pid, restarts, uid, gid
    case lastExit = "last_exit"
  }
}

struct ServiceList: Codable, Sendable {
  var services: [ServiceStatus]
}

/// A hook that ran in a sandbox.
public struct HookRun: Codable, Sendable, Equatable {
  public var hook: String
  /// done, not_ready, already_done, failed or refused.
  public var outcome: String
  public var at: Date
}

struct HookHistory: Codable, Sendable {
  var history: [HookRun]
}

public struct Template: Codable, Sendable, Equatable {
  public var name: String
  public var image: String
  public var cpus: Int
  public var memoryMiB: Int
  public var startCmd: [String]?
  public var readyCmd: [String]?
  public var hooks: TemplateHooks?
  public var services: [GuestService]?
  public var createdAt: Date?

  public init(
    name: String, image: String? = nil, cpus: Int = 1, memoryMiB: Int = 256, startCmd: [String]? = nil,
    readyCmd: [String]? = nil, hooks: TemplateHooks? = nil, services: [GuestService]? = nil
  ) {
    self.hooks = hooks
    self.services = services
    self.name = name
    self.image = image ?? ""
    self.cpus = cpus
    self.memoryMiB = memoryMiB
    self.startCmd = startCmd
    self.readyCmd = readyCmd
  }

  enum CodingKeys: String, CodingKey {
    case name, image, cpus, hooks, services
    case memoryMiB = "memory_mib"
    case startCmd = "start_cmd"
    case readyCmd = "ready_cmd"
    case createdAt = "created_at"
  }

  /// An empty image goes out as none: the daemon's default.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(name, forKey: .name)
    if !image.isEmpty { try container.encode(image, forKey: .image) }
    try container.encode(cpus, forKey: .cpus)
    try container.encode(memoryMiB, forKey: .memoryMiB)
    try container.encodeIfPresent(startCmd, forKey: .startCmd)
    try container.encodeIfPresent(readyCmd, forKey: .readyCmd)
    try container.encodeIfPresent(hooks, forKey: .hooks)
    try container.encodeIfPresent(services, forKey: .services)
  }
}

struct TemplateList: Codable, Sendable {
  var templates: [Template]
}

public struct Sandbox: Codable, Sendable, Equatable {
  public var id: String
  public var image: String
  public var cpus: Int
  public var memoryMiB: Int
  public var state: String
  public var createdAt: Date
  public var expiresAt: Date
  public var metadata: [String: String]
  public var error: String?
  public var template: String?
  /// While suspended: since when (its timeout stands still meanwhile).
  public var suspendedAt: Date?

  enum CodingKeys: String, CodingKey {
    case id, image, cpus, state, metadata, error, template
    case memoryMiB = "memory_mib"
    case createdAt = "created_at"
    case expiresAt = "expires_at"
    case suspendedAt = "suspended_at"
  }
}

struct SandboxList: Codable, Sendable {
  var sandboxes: [Sandbox]
}

public struct Command: Codable, Sendable {
  public var cmd: [String]
  public var env: [String: String]?
  public var cwd: String?
  public var user: String?
  public var timeout: Int?
  public var stdin: String?

  public init(
    _ cmd: [String], env: [String: String]? = nil, cwd: String? = nil, user: String? = nil, timeout: Int? = nil,
    stdin: String? = nil
  ) {
    self.cmd = cmd
    self.env = env
    self.cwd = cwd
    self.user = user
    self.timeout = timeout
    self.stdin = stdin
  }
}

public struct ExecResult: Codable, Sendable {
  public var stdout: String
  public var stderr: String
  public var exitCode: Int32
  public var signal: Int32?
  public var timedOut: Bool
  public var base64: Bool
  public var truncated: Bool

  enum CodingKeys: String, CodingKey {
    case stdout, stderr, signal, base64, truncated
    case exitCode = "exit_code"
    case timedOut = "timed_out"
  }

  /// The output's bytes, whether they came as text or base64.
  public var stdoutData: Data { base64 ? Data(base64Encoded: stdout) ?? Data() : Data(stdout.utf8) }
  public var stderrData: Data { base64 ? Data(base64Encoded: stderr) ?? Data() : Data(stderr.utf8) }
}

public struct ExitStatus: Codable, Sendable {
  public var exitCode: Int32
  public var signal: Int32?
  public var timedOut: Bool

  enum CodingKeys: String, CodingKey {
    case signal
    case exitCode = "exit_code"
    case timedOut = "timed_out"
  }
}

/// Which of a command's output streams a piece came from.
public enum OutputChannel: Sendable { case stdout, stderr }

struct Chunk: Codable {
  var data: String
}

struct APIErrorBody: Codable {
  struct Inner: Codable {
    var code: String
    var message: String
  }
  var error: Inner
}
