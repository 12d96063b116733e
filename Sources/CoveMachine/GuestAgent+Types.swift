import CoveRules
import Foundation

// The values the guest interface speaks: plain Swift, no gRPC or generated
// types, so that the sandbox manager and the HTTP API never see the wire.

/// A command to start in the guest.
public struct ProcessSpec: Sendable, Equatable {
  /// The program and its arguments; the program is looked up on PATH.
  public var argv: [String]
  /// Added to (and overriding) the guest's environment.
  public var env: [String: String] = [:]
  /// The working directory; nil for the user's home.
  public var cwd: String?
  /// The user (name or uid) to run as; nil for root.
  public var user: String?
  /// After which the agent kills the process; nil for none.
  public var timeout: Duration?
  /// A terminal of this size instead of pipes.
  public var terminal: TerminalSize?
  /// Keeps standard input open for ``GuestAgent/writeStdin(pid:_:close:)``;
  /// without it the process reads end-of-file.
  public var stdin = false
  /// A name that ``GuestAgent/listProcesses()`` shows.
  public var tag: String?
  /// Keeps running when the call that started it ends.
  public var background = false

  public init(
    argv: [String], env: [String: String] = [:], cwd: String? = nil, user: String? = nil, timeout: Duration? = nil,
    terminal: TerminalSize? = nil, stdin: Bool = false, tag: String? = nil, background: Bool = false
  ) {
    self.argv = argv
    self.env = env
    self.cwd = cwd
    self.user = user
    self.timeout = timeout
    self.terminal = terminal
    self.stdin = stdin
    self.tag = tag
    self.background = background
  }
}

/// What a process does, in order: it starts, writes output, and exits.
public enum ProcessEvent: Sendable, Equatable {
  case started(pid: UInt32)
  case stdout(Data)
  case stderr(Data)
  /// The last event. `timedOut` when the agent killed it for its timeout.
  case exited(ExitStatus, timedOut: Bool)
}

/// A process the agent supervises.
public struct GuestProcess: Sendable, Equatable {
  public var pid: UInt32
  public var tag: String
  public var argv: [String]
  /// Whether it runs on a terminal.
  public var terminal: Bool
  public var background: Bool

  public init(pid: UInt32, tag: String, argv: [String], terminal: Bool, background: Bool) {
    self.pid = pid
    self.tag = tag
    self.argv = argv
    self.terminal = terminal
    self.background = background
  }
}

/// A file or directory of the guest.
public struct FileInfo: Sendable, Equatable {
  public enum Kind: Sendable, Equatable { case regular, directory, symlink, other }

  public var path: String
  public var name: String
  public var kind: Kind
  public var size: UInt64
  /// Permission bits and the set-id and sticky bits.
  public var mode: UInt32
  public var uid: UInt32
  public var gid: UInt32
  public var modified: Date
  /// Where a symbolic link points; nil for anything else.
  public var symlinkTarget: String?

  public init(
    path: String, name: String, kind: Kind, size: UInt64, mode: UInt32, uid: UInt32 = 0, gid: UInt32 = 0,
    modified: Date, symlinkTarget: String? = nil
  ) {
    self.path = path
    self.name = name
    self.kind = kind
    self.size = size
    self.mode = mode
    self.uid = uid
    self.gid = gid
    self.modified = modified
    self.symlinkTarget = symlinkTarget
  }
}

/// A change to a watched path.
public struct FileChange: Sendable, Equatable {
  public enum Kind: Sendable, Equatable { case created, written, removed, renamed, attributes, other }

  public var kind: Kind
  public var path: String
  public var isDirectory: Bool

  public init(kind: Kind, path: String, isDirectory: Bool) {
    self.kind = kind
    self.path = path
    self.isDirectory = isDirectory
  }
}

/// The agent's answer to a health check.
public struct GuestHealth: Sendable, Equatable {
  public var version: String
  public var uptime: Duration
  /// Whether the agent runs as the guest's init (PID 1).
  public var initMode: Bool

  public init(version: String, uptime: Duration, initMode: Bool) {
    self.version = version
    self.uptime = uptime
    self.initMode = initMode
  }
}

/// What the guest uses, as the agent reads it from /proc.
public struct GuestMetrics: Sendable, Equatable {
  public var cpuCount: Int
  public var load1m: Double
  public var cpuUser: Duration
  public var cpuSystem: Duration
  public var cpuIdle: Duration
  public var memoryTotalBytes: UInt64
  public var memoryAvailableBytes: UInt64
  public var diskTotalBytes: UInt64
  public var diskFreeBytes: UInt64
  public var agentResidentBytes: UInt64
  public var processCount: Int
}

/// A lifecycle hook of a template's workload.
public enum GuestHook: String, Sendable, CaseIterable, Hashable {
  case ready, validate, run, suspend, resume, terminate
}

/// The command a hook runs.
public struct HookCommand: Sendable, Equatable {
  public var argv: [String]
  public var env: [String: String]
  public var user: String?
  public var timeout: Duration?

  public init(argv: [String], env: [String: String] = [:], user: String? = nil, timeout: Duration? = nil) {
    self.argv = argv
    self.env = env
    self.user = user
    self.timeout = timeout
  }
}

/// A hook's answer, as the agent gave it.
public struct HookResult: Sendable, Equatable {
  public enum Outcome: String, Sendable {
    case done, notReady = "not_ready", alreadyDone = "already_done", failed, refused
  }

  public var outcome: Outcome
  public var exitCode: Int32
  /// The command's stdout (the run hook's result).
  public var output: Data
  /// Why, when it did not succeed.
  public var message: String

  public init(outcome: Outcome, exitCode: Int32, output: Data, message: String) {
    self.outcome = outcome
    self.exitCode = exitCode
    self.output = output
    self.message = message
  }

  public var succeeded: Bool { outcome == .done || outcome == .alreadyDone }
}

/// One hook that ran (or was refused) in the guest.
public struct GuestHookRun: Sendable, Equatable {
  /// Nil for a hook this host does not know (a newer agent's).
  public var hook: GuestHook?
  public var outcome: HookResult.Outcome
  public var at: Date

  public init(hook: GuestHook?, outcome: HookResult.Outcome, at: Date) {
    self.hook = hook
    self.outcome = outcome
    self.at = at
  }
}

/// A supervised service to start in the guest.
public struct ServiceSpec: Sendable, Equatable {
  public enum Restart: Sendable, Equatable { case onFailure, always, never }

  public var name: String
  public var argv: [String]
  public var env: [String: String]
  public var user: String?
  public var group: String?
  public var cwd: String?
  public var restart: Restart

  public init(
    name: String, argv: [String], env: [String: String] = [:], user: String? = nil, group: String? = nil,
    cwd: String? = nil, restart: Restart = .onFailure
  ) {
    self.name = name
    self.argv = argv
    self.env = env
    self.user = user
    self.group = group
    self.cwd = cwd
    self.restart = restart
  }
}

/// A supervised service as the agent reports it.
public struct ServiceState: Sendable, Equatable {
  public enum Phase: Sendable, Equatable { case running, backoff, exited }

  public var name: String
  public var phase: Phase
  /// Nil while it does not run.
  public var pid: UInt32?
  public var restarts: Int
  /// The shell code of its last exit; nil before the first.
  public var lastExit: Int32?
  public var uid: UInt32
  public var gid: UInt32

  public init(
    name: String, phase: Phase, pid: UInt32? = nil, restarts: Int = 0, lastExit: Int32? = nil, uid: UInt32 = 0,
    gid: UInt32 = 0
  ) {
    self.name = name
    self.phase = phase
    self.pid = pid
    self.restarts = restarts
    self.lastExit = lastExit
    self.uid = uid
    self.gid = gid
  }
}
