import Foundation

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

  public init(
    name: String, state: String, pid: Int? = nil, restarts: Int, lastExit: Int? = nil, uid: Int, gid: Int
  ) {
    self.name = name
    self.state = state
    self.pid = pid
    self.restarts = restarts
    self.lastExit = lastExit
    self.uid = uid
    self.gid = gid
  }

  enum CodingKeys: String, CodingKey {
    case name, state, pid, restarts, uid, gid
    case lastExit = "last_exit"
  }
}

public struct ServiceList: Codable, Sendable, Equatable {
  public var services: [ServiceStatus]
  public init(services: [ServiceStatus]) { self.services = services }
}

/// A hook that ran in a sandbox.
public struct HookRun: Codable, Sendable, Equatable {
  public var hook: String
  /// done, not_ready, already_done, failed or refused.
  public var outcome: String
  public var at: Date

  public init(hook: String, outcome: String, at: Date) {
    self.hook = hook
    self.outcome = outcome
    self.at = at
  }
}

public struct HookHistory: Codable, Sendable, Equatable {
  public var history: [HookRun]
  public init(history: [HookRun]) { self.history = history }
}
