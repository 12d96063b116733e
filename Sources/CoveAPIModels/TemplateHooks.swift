/// JSON shapes that the API, its Swift client and the daemon's store
/// share, written once. No dependencies, so the client stays light.

/// The commands a template's guests run at the lifecycle hooks besides
/// ready (which is the template's ready command), after the AWS Lambda
/// MicroVM contract: validate each time a clone starts, run once per clone
/// with its payload, suspend and resume around a suspension, terminate
/// before the sandbox goes. A template that has hooks (even none set) makes
/// the daemon drive them for its clones.
public struct TemplateHooks: Codable, Sendable, Equatable {
  public var validate: [String]?
  public var run: [String]?
  public var suspend: [String]?
  public var resume: [String]?
  public var terminate: [String]?
  /// The guest's TCP port for the HTTP contract
  /// (`POST /aws/lambda-microvms/runtime/v1/{hook}`); nil for none.
  public var httpPort: Int?

  enum CodingKeys: String, CodingKey {
    case validate, run, suspend, resume, terminate
    case httpPort = "http_port"
  }

  public init(
    validate: [String]? = nil, run: [String]? = nil, suspend: [String]? = nil, resume: [String]? = nil,
    terminate: [String]? = nil, httpPort: Int? = nil
  ) {
    self.validate = validate
    self.run = run
    self.suspend = suspend
    self.resume = resume
    self.terminate = terminate
    self.httpPort = httpPort
  }
}

/// A long-running process a template's guests keep running, restarted by
/// the agent when it exits.
public struct GuestService: Codable, Sendable, Equatable {
  public enum Restart: String, Codable, Sendable {
    case onFailure = "on-failure"
    case always, never
  }

  public var name: String
  public var cmd: [String]
  /// User name or uid; root when nil.
  public var user: String?
  public var group: String?
  public var env: [String: String]?
  public var cwd: String?
  /// on-failure when nil.
  public var restart: Restart?

  public init(
    name: String, cmd: [String], user: String? = nil, group: String? = nil, env: [String: String]? = nil,
    cwd: String? = nil, restart: Restart? = nil
  ) {
    self.name = name
    self.cmd = cmd
    self.user = user
    self.group = group
    self.env = env
    self.cwd = cwd
    self.restart = restart
  }
}
