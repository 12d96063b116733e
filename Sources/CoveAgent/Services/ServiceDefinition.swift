import CoveAgentProto

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A validated service: what it runs, as whom, where, with which
/// environment, and when it comes back. Making one reads /etc/passwd and
/// /etc/group and changes nothing.
struct ServiceDefinition: Sendable {
  static let defaultRestartDelayMilliseconds: UInt64 = 500

  var name: String
  /// What each launch asks of the process supervisor.
  var request: Cove_Agent_V1_StartRequest
  /// Who the service runs as: the named user (with the named group), or the
  /// agent's own user when none is named.
  var identity: GuestUser
  /// False when the service runs as the agent's own user and group: nothing
  /// to switch, which also lets an agent that is not root run services.
  var switchesUser: Bool
  var restart: Cove_Agent_V1_RestartPolicy
  var firstRestartDelayMilliseconds: UInt64

  var runtimeDirectory: String { "/run/user/\(identity.uid)" }
  var launchUser: GuestUser? { switchesUser ? identity : nil }

  init(_ spec: Cove_Agent_V1_ServiceSpec, agentUser: UInt32 = getuid()) throws(AgentError) {
    guard Self.isValidName(spec.name) else {
      throw AgentError(
        .invalidArgument,
        "a service name is 1 to 63 lowercase letters, digits, '.', '_' and '-', starting with a letter or digit")
    }
    try LaunchPlan.validate(argv: spec.argv, env: spec.env)
    if case .UNRECOGNIZED(let value) = spec.restart {
      throw AgentError(.invalidArgument, "unknown restart policy \(value)")
    }
    let userName = spec.user.isEmpty ? String(agentUser) : spec.user
    guard var identity = UserDatabase.lookup(userName) else {
      throw AgentError(.invalidArgument, "unknown user \"\(spec.user)\"")
    }
    if !spec.group.isEmpty {
      guard let gid = UserDatabase.groupID(spec.group) else {
        throw AgentError(.invalidArgument, "unknown group \"\(spec.group)\"")
      }
      identity.gid = gid
      identity.groups = [gid] + identity.groups.filter { $0 != gid }
    }
    name = spec.name
    self.identity = identity
    switchesUser = !spec.user.isEmpty || !spec.group.isEmpty
    restart = spec.restart
    firstRestartDelayMilliseconds =
      spec.restartDelayMs == 0 ? Self.defaultRestartDelayMilliseconds : UInt64(spec.restartDelayMs)

    var env = [
      "HOME": identity.home, "USER": identity.name, "LOGNAME": identity.name, "SHELL": identity.shell,
      "XDG_RUNTIME_DIR": "/run/user/\(identity.uid)",
      "XDG_CONFIG_HOME": Self.join(identity.home, ".config"),
      "XDG_DATA_HOME": Self.join(identity.home, ".local/share"),
      "XDG_CACHE_HOME": Self.join(identity.home, ".cache"),
      "XDG_STATE_HOME": Self.join(identity.home, ".local/state"),
    ]
    env.merge(spec.env) { _, given in given }
    request = .with {
      $0.argv = spec.argv
      $0.env = env
      $0.cwd = spec.cwd.isEmpty ? identity.startDirectory : spec.cwd
      $0.tag = "service:\(spec.name)"
    }
  }

  /// `^[a-z0-9][a-z0-9._-]{0,62}$`: safe as a file name, and short.
  static func isValidName(_ name: String) -> Bool {
    let bytes = Array(name.utf8)
    guard (1...63).contains(bytes.count) else { return false }
    func isAlphanumeric(_ b: UInt8) -> Bool { (48...57).contains(b) || (97...122).contains(b) }
    return isAlphanumeric(bytes[0])
      && bytes.allSatisfy {
        isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
      }
  }

  private static func join(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
  }

  /// Makes /run/user/UID for the service's user: a directory of its own,
  /// mode 0700. An existing one is taken over, unless it is not a directory.
  func makeRuntimeDirectory() throws(AgentError) {
    let parent = "/run/user"
    if mkdir(parent, 0o755) != 0 && errno != EEXIST { throw AgentError.system("make", parent, errno: errno) }
    let path = runtimeDirectory
    if mkdir(path, 0o700) != 0 && errno != EEXIST { throw AgentError.system("make", path, errno: errno) }
    // O_NOFOLLOW: a link planted there must not hand someone else's directory over.
    let fd = try retrying("open", path) { open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
    defer { close(fd) }
    try retrying("chown", path) { fchown(fd, identity.uid, identity.gid) }
    try retrying("chmod", path) { fchmod(fd, 0o700) }
  }
}
