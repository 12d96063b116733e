import Foundation

/// A request for a new sandbox. Every field may be left out for the
/// daemon's default.
public struct CreateSandbox: Codable, Sendable, Equatable {
  public var image: String?
  public var cpus: Int?
  public var memoryMiB: Int?
  /// Seconds until the sandbox is stopped and removed.
  public var timeout: Int?
  public var env: [String: String]?
  public var metadata: [String: String]?
  /// A template to clone instead of booting an image.
  public var template: String?
  /// Given to the run hook of a clone of a template with hooks.
  public var runPayload: String?

  public init(
    image: String? = nil, cpus: Int? = nil, memoryMiB: Int? = nil, timeout: Int? = nil, env: [String: String]? = nil,
    metadata: [String: String]? = nil, template: String? = nil, runPayload: String? = nil
  ) {
    self.image = image
    self.cpus = cpus
    self.memoryMiB = memoryMiB
    self.timeout = timeout
    self.env = env
    self.metadata = metadata
    self.template = template
    self.runPayload = runPayload
  }

  enum CodingKeys: String, CodingKey {
    case image, cpus, timeout, env, metadata, template
    case memoryMiB = "memory_mib"
    case runPayload = "run_payload"
  }
}

/// A sandbox as the API shows it.
public struct Sandbox: Codable, Sendable, Equatable {
  public var id: String
  public var image: String
  public var cpus: Int
  public var memoryMiB: Int
  public var state: State
  public var createdAt: Date
  public var expiresAt: Date
  public var metadata: [String: String]
  public var error: String?
  public var template: String?
  /// While suspended: since when (its timeout stands still meanwhile).
  public var suspendedAt: Date?

  public init(
    id: String, image: String, cpus: Int, memoryMiB: Int, state: State, createdAt: Date, expiresAt: Date,
    metadata: [String: String], error: String? = nil, template: String? = nil, suspendedAt: Date? = nil
  ) {
    self.id = id
    self.image = image
    self.cpus = cpus
    self.memoryMiB = memoryMiB
    self.state = state
    self.createdAt = createdAt
    self.expiresAt = expiresAt
    self.metadata = metadata
    self.error = error
    self.template = template
    self.suspendedAt = suspendedAt
  }

  enum CodingKeys: String, CodingKey {
    case id, image, cpus, state, metadata, error, template
    case memoryMiB = "memory_mib"
    case createdAt = "created_at"
    case expiresAt = "expires_at"
    case suspendedAt = "suspended_at"
  }
}

extension Sandbox {
  /// Where a sandbox is in its life, as the API names it (openapi.yaml's
  /// `Sandbox.state`).
  public enum State: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    case queued, starting, running, paused, snapshotting, suspended, stopping, stopped, error
    public var description: String { rawValue }
  }
}

public struct SandboxList: Codable, Sendable, Equatable {
  public var sandboxes: [Sandbox]
  public init(sandboxes: [Sandbox]) { self.sandboxes = sandboxes }
}
