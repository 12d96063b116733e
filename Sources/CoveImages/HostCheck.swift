import Foundation

/// What a host needs before Cove can boot guests on it, checked in one place:
/// `cove doctor` prints every finding, and `cove run` and `cove serve` run
/// the cheap checks at start and refuse with the same lines when one fails,
/// instead of failing halfway through the first boot.
///
/// The checks that need the machine layer (the accelerator Cove picks, where
/// the static agent is) take their answers from the caller, so this type
/// stays below CoveMachine.
public struct HostCheck: Sendable {
  /// Who asks: what is fatal, and how much time the checks may take,
  /// depends on it.
  public enum Purpose: Sendable {
    /// Every check, including the slower ones (program versions, apt).
    case doctor
    /// `cove run`: one guest now, from `image`.
    case run
    /// `cove serve`: guests later; images are built on the first request.
    case serve
  }

  public var home: CoveHome
  /// Where the per-VM directories (and their Unix sockets) go.
  public var runDirectory: String
  /// Where guest RAM files go (nil when the host has no usable /dev/shm).
  public var memoryDirectory: String = "/dev/shm"
  /// The image the command boots (`cove run --image`, `cove serve --default-image`).
  public var image: String = "debian"
  /// A kernel given with `--kernel` instead of the distribution's.
  public var customKernel: String?
  /// The accelerator Cove will use, `kvm` or `tcg`, and whether the user
  /// forced it (`--accel`, `COVE_ACCEL`).
  public var accelerator: String
  public var acceleratorForced = false
  public var qemuBinary = "qemu-system-x86_64"
  public var kvmDevice = "/dev/kvm"
  public var cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
  public var isRoot = getuid() == 0
  /// Finds the static agent the way guests will get it.
  public var locateAgent: @Sendable () throws -> String
  /// Finds a host program, or throws ``ImageError/programMissing(_:package:)``.
  public var locate: @Sendable (_ program: String, _ package: String) throws -> String = {
    try HostCommand.locate($0, package: $1)
  }

  public init(
    home: CoveHome, runDirectory: String, accelerator: String, locateAgent: @escaping @Sendable () throws -> String
  ) {
    self.home = home
    self.runDirectory = runDirectory
    self.accelerator = accelerator
    self.locateAgent = locateAgent
  }

  /// Every check that `purpose` runs, in the order `cove doctor` prints them.
  public func findings(for purpose: Purpose) async -> [HostFinding] {
    var findings = [await qemu(purpose), qemuImg(), await mke2fs(purpose), accelerationFinding()]
    findings += [memoryFinding(), diskFinding(path: home.root, what: "COVE_HOME", wanted: 2 << 30)]
    findings += [runDirectoryFinding(purpose), await kernelFinding(purpose), agentFinding()]
    findings.append(imageFinding(purpose))
    if purpose == .doctor { findings += [imageToolsFinding(), testToolsFinding()] }
    return findings
  }

  /// The findings that stop `purpose` from starting, or none.
  public func fatal(for purpose: Purpose) async -> [HostFinding] {
    await findings(for: purpose).filter { $0.level == .fail }
  }
}

/// One line of `cove doctor`: what was checked, how it stands, and for a
/// problem the command that fixes it.
public struct HostFinding: Sendable, Equatable, CustomStringConvertible {
  public enum Level: String, Sendable {
    /// Fine.
    case ok
    /// Cove works, but slower, later (fetched or built on first use), or
    /// only without the tests and benchmarks.
    case warn
    /// Cove cannot do its job: `cove run` and `cove serve` refuse to start.
    case fail
  }

  public var check: String
  public var level: Level
  public var detail: String
  public var fix: String?

  public init(_ check: String, _ level: Level, _ detail: String, fix: String? = nil) {
    self.check = check
    self.level = level
    self.detail = detail
    self.fix = fix
  }

  public var description: String {
    let label = level.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)
    let name = check.padding(toLength: max(check.count, 12), withPad: " ", startingAt: 0)
    return label + name + " " + detail + (fix.map { "; fix: \($0)" } ?? "")
  }
}

/// The findings that stop `cove run` or `cove serve`, as one error.
public struct HostNotReady: Error, CustomStringConvertible {
  public var findings: [HostFinding]

  public init(findings: [HostFinding]) { self.findings = findings }

  public var description: String {
    "this host is not ready for Cove:\n" + findings.map { "  \($0)" }.joined(separator: "\n")
      + "\n(`cove doctor` runs every check)"
  }
}
