import CoveImages
import Foundation
import Logging

/// How a VM's QEMU is confined, the guest being the untrusted part and
/// QEMU what stands between it and the host (DESIGN, "Confinement"):
/// - a system call filter (`-sandbox`, ``seccompOptions``);
/// - when Cove runs as root, a uid and gid of its own from ``uids`` (no
///   user account needed) and an empty directory as its root (`-runas`,
///   `-chroot`): QEMU opens every file it needs (kernel, disks, memory
///   file, sockets, console log) while it starts, as Cove's user, and then
///   drops both before the guest runs, keeping only those descriptors;
/// - resource limits in a cgroup of its own (``CGroup``, ``ResourceLimits``).
///
/// Each can be turned off with `COVE_UNCONFINED` (a comma-separated list of
/// `seccomp`, `user`, `cgroups`) on a host that lacks it. Run as a normal
/// user, Cove needs no root: QEMU keeps Cove's uid and view, and a cgroup
/// is used when Cove's own is delegated to it (writable), else skipped.
public struct VMMConfinement: Sendable, Equatable {
  public var seccomp = true
  /// A uid of its own and a chroot, when Cove runs as root.
  public var user = true
  public var cgroups = true
  /// The uids (and gids, the same numbers) VMs run as; one per running VM.
  public var uids: ClosedRange<UInt32> = VMMConfinement.defaultUIDs
  /// Limits other than those of the VM's size (``ResourceLimits/init(cpus:memoryMiB:)``).
  public var limits: ResourceLimits?
  /// A setting from the environment that could not be read; refused at start.
  public var invalidSetting: String?

  /// 65,536 uids above any a distribution hands out to accounts
  /// (Debian: below 60,000, subordinate ranges from 100,000 up by 65,536
  /// per user); `COVE_VMM_UIDS=FIRST-LAST` picks others.
  public static let defaultUIDs: ClosedRange<UInt32> = 0x7A00_0000...0x7A00_FFFF

  public init() {}

  /// Everything on, except what `COVE_UNCONFINED` names; uids from `COVE_VMM_UIDS`.
  public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
    -> VMMConfinement
  {
    var confinement = VMMConfinement()
    for name in (environment["COVE_UNCONFINED"] ?? "").split(separator: ",") {
      switch ConfinementError.Protection(rawValue: name.trimmingCharacters(in: .whitespaces)) {
      case .seccomp: confinement.seccomp = false
      case .user: confinement.user = false
      case .cgroups: confinement.cgroups = false
      case nil:
        confinement.invalidSetting =
          "COVE_UNCONFINED names \(name); it takes a list of \(ConfinementError.Protection.allCases.map(\.rawValue))"
      }
    }
    if let text = environment["COVE_VMM_UIDS"] {
      let bounds = text.split(separator: "-").map { UInt32($0.trimmingCharacters(in: .whitespaces)) }
      if bounds.count == 2, let first = bounds[0], let last = bounds[1], first >= 1000, first <= last,
        last < UInt32.max
      {
        confinement.uids = first...last
      } else {
        confinement.invalidSetting = "COVE_VMM_UIDS must be FIRST-LAST with 1000 <= FIRST <= LAST, not \(text)"
      }
    }
    return confinement
  }

  /// `-sandbox`'s options: every group denied but two, which QEMU 7.2's
  /// own start needs because it installs its filter before it daemonizes
  /// and drops privileges (QEMU 9's `-run-with` and a launch without
  /// `-daemonize` would let both be denied):
  /// - `spawn`: `-daemonize` forks (denied: SIGSYS at start). What QEMU
  ///   could run is little: nothing is in its view, and a program it made
  ///   itself (memfd) would have its uid, its filter and no_new_privs.
  /// - `elevateprivileges`: the group holds setsid, which `-daemonize`
  ///   calls (denied: QEMU exits 1 without a word), and the setgid and
  ///   setuid of `-runas`. After the drop QEMU has no capabilities and
  ///   no_new_privs, so set*id can only pick among its own ids.
  public static let seccompOptions = "on,obsolete=deny,elevateprivileges=allow,spawn=allow,resourcecontrol=deny"

  /// Sets up the confinement of the VM `id` whose files are in `directory`
  /// (made already): claims a uid, makes its view and its cgroup. The
  /// result's arguments go on QEMU's command line; ``ConfinedVMM/place(_:)``
  /// moves the launched QEMU into the cgroup. Undone by
  /// ``release(id:directory:)``, also after a crash (the sweep).
  public func prepare(
    id: String, directory: VMDirectory, configuration: MachineConfiguration,
    logger: Logger = Logger(label: "cove.vm")
  ) throws(ConfinementError) -> ConfinedVMM {
    if let invalidSetting { throw ConfinementError(.user, invalidSetting) }
    let root = geteuid() == 0
    let dropping = user && root
    var confined = ConfinedVMM()
    if seccomp {
      // The kernel reports the field only when it has seccomp.
      let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
      guard status.contains("\nSeccomp:") else {
        throw ConfinementError(.seccomp, "this kernel has no seccomp (no Seccomp: in /proc/self/status)")
      }
      confined.arguments += ["-sandbox", Self.seccompOptions]
    }
    do throws(ConfinementError) {
      if dropping {
        let uid = try VMMUser.claim(in: uids, for: directory)
        confined.uid = uid
        let view = try Self.makeView(in: directory, network: configuration.network)
        confined.view = view
        confined.arguments += ["-runas", "\(uid):\(uid)", "-chroot", view]
        // A VM without a network needs none: its QEMU gets an empty
        // network namespace (no interface, not even loopback up), so a
        // QEMU taken over cannot reach the host's services either.
        confined.ownNetwork = !configuration.network
      }
      if cgroups {
        let limits = limits ?? ResourceLimits(cpus: configuration.cpus, memoryMiB: configuration.memoryMiB)
        do throws(ConfinementError) {
          guard let layout = CGroup.Layout.current() else {
            throw ConfinementError(.cgroups, "the host mounts no cgroup hierarchy")
          }
          confined.cgroup = try CGroup.create(named: id, limits: limits, layout: layout)
        } catch {
          // A normal user's cgroup is usually not delegated: run without.
          guard !root else { throw error }
          logger.notice(
            "no cgroup for the VM; its resources are not limited",
            metadata: ["reason": "\(error)"])
        }
      }
    } catch {
      Self.release(id: id, directory: directory)
      throw error
    }
    return confined
  }

  /// Removes what ``prepare(id:directory:configuration:logger:)`` made for
  /// the VM `id`: its cgroup (QEMU must be gone) and its uid claim. The
  /// view goes with the VM's directory. Safe to call more than once, and
  /// for a VM that never had them.
  public static func release(id: String, directory: VMDirectory) {
    if let layout = CGroup.Layout.current() { CGroup.removeAbandoned(named: id, layout: layout) }
    VMMUser.release(for: directory)
  }

  /// QEMU's root after the drop: an empty directory it cannot write, with
  /// only what it opens after starting. That is /etc/resolv.conf, read by
  /// user-mode networking to forward the guest's DNS queries; everything
  /// else (kernel, disks, memory, sockets, /dev/urandom, /dev/kvm) is open
  /// before the chroot.
  static func makeView(in directory: VMDirectory, network: Bool) throws(ConfinementError) -> String {
    let view = directory.path + "/view"
    do {
      let manager = FileManager.default
      try manager.createDirectory(atPath: view + "/etc", withIntermediateDirectories: true)
      if network, let resolver = manager.contents(atPath: "/etc/resolv.conf") {
        try resolver.write(to: URL(fileURLWithPath: view + "/etc/resolv.conf"))
      }
      for path in [view + "/etc", view] { chmod(path, 0o555) }
    } catch {
      throw ConfinementError(.user, "cannot make QEMU's view \(view): \(error)")
    }
    return view
  }
}

/// What was set up for one VM's QEMU by ``VMMConfinement/prepare(id:directory:configuration:logger:)``.
public struct ConfinedVMM: Sendable {
  /// QEMU options that apply it: `-sandbox`, `-runas`, `-chroot`.
  public var arguments: [String] = []
  /// The uid (and gid) QEMU runs as; nil when it keeps Cove's.
  public var uid: UInt32?
  /// QEMU's root directory after it starts; nil without a chroot.
  public var view: String?
  /// The VM's cgroup; nil when it has none.
  public var cgroup: CGroup?
  /// Whether QEMU starts in a network namespace of its own, empty.
  public var ownNetwork = false

  /// The program to launch and its arguments: QEMU itself, or `unshare
  /// --net` running it in an empty network namespace (util-linux's
  /// unshare execs QEMU in place, so the pid QEMU writes is QEMU's).
  public func command(qemu: String, arguments: [String]) throws -> (program: String, arguments: [String]) {
    guard ownNetwork else { return (qemu, arguments) }
    let unshare = try HostCommand.locate("unshare", package: "util-linux")
    return (unshare, ["--net", "--", try HostCommand.locate(qemu, package: "qemu-system-x86")] + arguments)
  }

  /// Moves the launched (and still stopped) QEMU into the cgroup.
  public func place(_ pid: pid_t) throws(ConfinementError) {
    try cgroup?.add(pid)
  }
}
