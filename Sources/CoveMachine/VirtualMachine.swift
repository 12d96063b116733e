import CoveImages
import Foundation

/// One microVM, whatever runs it: what the sandbox manager holds and
/// drives. QEMU is the only backend (``QEMUMachine``); a fake one lets the
/// manager's logic be tested without a hypervisor.
public protocol VirtualMachine: AnyObject, Sendable {
  var id: String { get }
  var configuration: MachineConfiguration { get }
  /// Whether the VM still exists (its hypervisor process lives).
  var isRunning: Bool { get }
  /// Boots the guest (or restores ``MachineConfiguration/restore``) in a
  /// turn of `admission` (or in `permit`, already taken) and returns its
  /// agent once it answers, within `timeout` of the turn.
  func bootGuest(timeout: Duration, permit: BootPermit?, admission: BootAdmission) async throws -> any GuestAgent
  /// Takes over a VM that an earlier process started and left running.
  func attach() async throws
  /// The guest's agent, waiting up to `timeout` for it to answer.
  func guestAgent(timeout: Duration) async throws -> any GuestAgent
  /// Stops and starts the vCPUs in place.
  func pause() async throws
  func resume() async throws
  /// Stops the VM and keeps it on disk in `directory`.
  func snapshot(into directory: String) async throws -> MachineSnapshot
  /// A VM that took a snapshot's files over (a resume) keeps them from now on.
  func keepSnapshotFiles()
  /// Asks the guest to shut down, waits up to `grace`, then kills it; then
  /// removes every file the VM had.
  func stop(grace: Duration) async
  /// Ends the VM at once and removes its files.
  func kill() async
  /// Lets go of a VM that keeps running for the next process to attach.
  func detach() async
  /// The last `limit` bytes of the guest's console.
  func consoleTail(limit: Int) -> String
}

/// What to boot and with how much.
public struct MachineConfiguration: Sendable {
  public var kernel: GuestKernel
  public var initramfs: String
  /// The read-only base image; the VM writes to an overlay over it.
  public var rootImage: String
  public var cpus: Int = 1
  public var memoryMiB: Int = 256
  public var accelerator: Accelerator = .detect()
  /// User-mode networking (outbound only) when true; no network device when false.
  public var network: Bool = true
  /// Keep the console log after the VM is gone (it is printed in errors either way).
  public var keepConsoleLog: Bool = false
  /// Where per-VM directories go; short, because it holds Unix sockets.
  public var runDirectory: String = MachineConfiguration.defaultRunDirectory
  public var qemuBinary: String = "qemu-system-x86_64"
  public var extraKernelArguments: [String] = []
  /// The format of `rootImage`: raw for images, qcow2 for a snapshot's disk.
  public var rootImageFormat = "raw"
  /// Start from a snapshot instead of booting: its memory mapped
  /// copy-on-write, its device state loaded. The rest of the configuration
  /// must be the snapshot's.
  public var restore: MachineSnapshot?
  /// Whether a VM started from ``restore`` takes the snapshot's files over
  /// and carries on as the VM that was saved (resuming a suspended VM),
  /// instead of cloning it. Its memory and disk move into the VM's
  /// directory; until ``QEMUMachine/keepSnapshotFiles()`` a failed start or
  /// a kill moves them back, so the snapshot stays whole.
  public var restoreTakesOver = false
  /// Virtio-serial ports besides the agent's, by the name the guest sees
  /// in /sys/class/virtio-ports/*/name (e.g. `org.qemu.guest_agent.0` for
  /// qemu-guest-agent). QEMU serves each on a Unix socket in the VM's
  /// directory: ``VMDirectory/serialSocket(named:)``.
  public var serialPorts: [String] = []
  /// TCP ports of the guest reachable from the host's loopback through
  /// user-mode networking (needs ``network``).
  public var portForwards: [PortForward] = []
  /// How QEMU is confined: seccomp, its own uid and view, a cgroup with
  /// resource limits (see ``VMMConfinement``).
  public var confinement: VMMConfinement = .fromEnvironment()

  public init(kernel: GuestKernel, initramfs: String, rootImage: String) {
    self.kernel = kernel
    self.initramfs = initramfs
    self.rootImage = rootImage
  }

  /// The least memory a guest boots with: the kernel and the 33 MB initramfs
  /// unpacked in RAM need it (128 MiB panics "deadlocked on memory", 144
  /// boots; found by schemathesis).
  public static let minimumMemoryMiB = 192

  public static var defaultRunDirectory: String {
    if let configured = getenv("COVE_RUN_DIR").map({ String(cString: $0) }), !configured.isEmpty { return configured }
    return "/tmp/cove-\(getuid())"
  }
}

/// A host TCP port on 127.0.0.1 that QEMU's user-mode network forwards to a
/// port of the guest.
public struct PortForward: Sendable, Equatable {
  public var hostPort: Int
  public var guestPort: Int

  public init(hostPort: Int, guestPort: Int) {
    self.hostPort = hostPort
    self.guestPort = guestPort
  }
}
