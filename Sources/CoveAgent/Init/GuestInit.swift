import CCoveSystem
import Logging

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// What the agent does as PID 1 before it serves: mounts, kernel modules,
/// the root disk as `/`. Each step logs and carries on where it can, so that
/// a broken guest still answers and can be inspected.
public struct GuestInit {
  public var moduleList = "/modules.list"
  public var rootDevice = "/dev/vda"
  public var newRoot = "/mnt/root"
  let logger: Logger

  public init(logger: Logger) { self.logger = logger }

  /// Seconds since the guest kernel started, as /proc/uptime says, for
  /// boot timing in the console log.
  public static var uptime: String {
    readSmallFile("/proc/uptime", limit: 64)?.split(separator: " ").first.map(String.init) ?? "?"
  }

  /// Mounts /proc. Must run before the Swift runtime starts any thread.
  public static func mountProc() {
    mkdir("/proc", 0o555)
    _ = cove_mount("proc", "/proc", "proc", UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), nil)
  }

  public func run() {
    mountEarly()
    openConsole()
    loadModules()
    switchRoot()
    GuestNetwork.configure(commandLine: readSmallFile("/proc/cmdline") ?? "", logger: logger)
  }

  func mount(_ source: String, _ target: String, _ type: String, _ flags: Int = 0, _ data: String? = nil) {
    mkdir(target, 0o755)
    let err = withOptionalCString(data) { cove_mount(source, target, type, UInt(flags), $0) }
    if err != 0 && err != EBUSY {
      logger.warning("mount failed", metadata: ["target": "\(target)", "errno": "\(err)"])
    }
  }

  func mountEarly() {
    mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755")
    mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=666")
    mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
  }

  /// Points descriptors 0, 1 and 2 at the console so that no pipe the agent
  /// makes later lands on them.
  func openConsole() {
    let fd = open("/dev/console", O_RDWR | O_NOCTTY)
    let target = fd >= 0 ? fd : open("/dev/null", O_RDWR)
    guard target >= 0 else { return }
    for i: Int32 in 0...2 where i != target { dup2(target, i) }
    if target > 2 { close(target) }
  }

  func loadModules() {
    guard let text = readSmallFile(moduleList) else { return }
    let base = String(moduleList[..<(moduleList.lastIndex(of: "/") ?? moduleList.startIndex)])
    for path in ModuleList(parsing: text, relativeTo: base.isEmpty ? "/" : base).paths {
      let err = cove_load_module(path)
      if err != 0 { logger.warning("module not loaded", metadata: ["module": "\(path)", "errno": "\(err)"]) }
    }
  }

  /// Mounts the root disk and makes it `/`, moving the early mounts along,
  /// the way switch_root does. Without a root disk the agent stays in the
  /// initramfs.
  func switchRoot() {
    var waited = 0
    while access(rootDevice, F_OK) != 0 && waited < 5000 {
      usleep(10_000)
      waited += 10
    }
    guard access(rootDevice, F_OK) == 0 else {
      logger.warning("no root disk; serving from the initramfs", metadata: ["device": "\(rootDevice)"])
      return
    }
    mkdir("/mnt", 0o755)
    mkdir(newRoot, 0o755)
    let err = cove_mount(rootDevice, newRoot, "ext4", 0, nil)
    guard err == 0 else {
      logger.error("cannot mount the root disk", metadata: ["device": "\(rootDevice)", "errno": "\(err)"])
      return
    }
    for mount in ["/dev", "/proc", "/sys", "/run", "/tmp"] {
      mkdir(newRoot + mount, 0o755)
      let moved = cove_move_mount(mount, newRoot + mount)
      if moved != 0 { logger.warning("cannot move mount", metadata: ["mount": "\(mount)", "errno": "\(moved)"]) }
    }
    guard chdir(newRoot) == 0, cove_move_mount(".", "/") == 0, chroot(".") == 0, chdir("/") == 0 else {
      logger.error("cannot switch to the root disk", metadata: ["errno": "\(errno)"])
      return
    }
    logger.info("root disk mounted", metadata: ["device": "\(rootDevice)", "uptime": "\(Self.uptime)"])
  }
}
