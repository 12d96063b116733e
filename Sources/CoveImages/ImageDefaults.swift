import CoveOCI

/// What an OCI image's configuration says a container starts with, kept
/// in the image's record and used as the defaults of a sandbox made from
/// it: `cove run --image NAME -- CMD` runs `Entrypoint + CMD` (or
/// `Entrypoint + Cmd` without one) with `Env`, in `WorkingDir`, as `User`,
/// as `docker run` does.
public struct ImageDefaults: Codable, Sendable, Equatable {
  public var env: [String]
  public var entrypoint: [String]
  public var cmd: [String]
  public var workingDir: String?
  /// `name`, `uid`, `name:group` or `uid:gid`, as the image gives it.
  public var user: String?
  /// `80/tcp` and the like.
  public var exposedPorts: [String]
  public var labels: [String: String]
  public var stopSignal: String?
  /// The image's manifest digest and where it came from.
  public var digest: String
  public var reference: String

  public init(_ configuration: ImageConfiguration, digest: Digest, reference: String) {
    let config = configuration.config ?? .init()
    env = config.Env ?? []
    entrypoint = config.Entrypoint ?? []
    cmd = config.Cmd ?? []
    workingDir = config.WorkingDir.flatMap { $0.isEmpty ? nil : $0 }
    user = config.User.flatMap { $0.isEmpty ? nil : $0 }
    exposedPorts = (config.ExposedPorts ?? [:]).keys.sorted()
    labels = config.Labels ?? [:]
    stopSignal = config.StopSignal
    self.digest = digest.description
    self.reference = reference
  }

  /// The command a sandbox runs: the entrypoint (unless `entrypoint`
  /// replaces it; an empty one drops it) followed by `arguments`, or by the
  /// image's Cmd when there are none.
  public func command(arguments: [String], entrypoint replacement: String? = nil) -> [String] {
    let head = replacement.map { $0.isEmpty ? [] : [$0] } ?? entrypoint
    let tail = arguments.isEmpty && replacement == nil ? cmd : arguments
    return head + tail
  }

  /// The environment as a dictionary; a later entry wins, as in a shell.
  public var environment: [String: String] {
    var result: [String: String] = [:]
    for pair in env {
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      result[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
    }
    return result
  }

  /// The user part of `User` (the agent takes a name or a uid; a group
  /// after a colon is the user's primary group in nearly every image, and
  /// Cove does not set another one).
  public var userName: String? {
    user.map { String($0.split(separator: ":", maxSplits: 1).first ?? Substring($0)) }
  }
}

/// How a command starts in a sandbox of an image: the caller's choices
/// where given, the image's defaults where not.
public struct ImageLaunch: Sendable, Equatable {
  public var argv: [String]
  public var env: [String: String]
  public var cwd: String?
  public var user: String?

  /// `arguments` after the entrypoint (or the image's Cmd when empty),
  /// the image's Env overridden by `env`, `workdir` or the image's
  /// WorkingDir, `user` or the image's User; without `defaults`, the
  /// caller's values as they are.
  public init(
    defaults: ImageDefaults?, arguments: [String], entrypoint: String? = nil, env: [String: String] = [:],
    workdir: String? = nil, user: String? = nil
  ) {
    argv = defaults?.command(arguments: arguments, entrypoint: entrypoint) ?? arguments
    self.env = (defaults?.environment ?? [:]).merging(env) { $1 }
    cwd = workdir ?? defaults?.workingDir
    self.user = user ?? defaults?.userName
  }
}
