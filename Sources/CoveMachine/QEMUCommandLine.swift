import Foundation

/// The QEMU command line for one microVM: the `microvm` machine, guest RAM
/// in a file, the root disk as a qcow2 overlay, the agent's virtio-serial
/// port, virtio-rng, user-mode networking, and the console in a log file.
public struct QEMUCommandLine: Sendable {
  public var configuration: MachineConfiguration
  public var directory: VMDirectory

  /// Kernel arguments every Cove guest gets. `reboot=t` with QEMU's
  /// `-no-reboot` makes a guest reboot end QEMU (microvm has no power-off
  /// path QEMU obeys); `panic=-1` does the same for a crash. The Swift
  /// runtime of the static agent looks up its backtracer through /proc
  /// before `main` can mount /proc, and aborts, unless told where it is.
  public static let baseKernelArguments = [
    "console=ttyS0", "reboot=t", "panic=-1", "quiet", "pci=off", "tsc=reliable", "no_timer_check",
    "SWIFT_BACKTRACE=enable=no,swift-backtrace=/none",
  ]

  public init(configuration: MachineConfiguration, directory: VMDirectory) {
    self.configuration = configuration
    self.directory = directory
  }

  /// Under TCG the guest's TSC runs at the host's rate, and the kernel's
  /// quick calibration of it against the PIT fails when the host is busy;
  /// microvm has no HPET or ACPI PM timer to fall back on, so the kernel
  /// marks the TSC unstable and then spins forever waiting for jiffies (12
  /// boots in 12 with two CPU hogs running). Giving the rate skips the
  /// calibration.
  public var kernelArguments: [String] {
    var arguments = Self.baseKernelArguments
    if configuration.accelerator == .tcg, let khz = Self.hostTSCKilohertz() {
      arguments.append("tsc_early_khz=\(khz)")
    }
    // QEMU's user-mode network: the agent configures eth0 from this.
    if configuration.network { arguments.append("cove.net=10.0.2.15/24,10.0.2.2,10.0.2.3") }
    return arguments + configuration.extraKernelArguments
  }

  /// The host CPU's clock in kHz, from /proc/cpuinfo.
  static func hostTSCKilohertz(cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))
    -> Int?
  {
    guard let line = cpuinfo?.split(separator: "\n").first(where: { $0.hasPrefix("cpu MHz") }),
      let value = line.split(separator: ":").last.flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }),
      value > 0
    else { return nil }
    return Int(value * 1000)
  }

  /// The QEMU id of the extra serial port at `index` (also the id
  /// `VSERPORT_CHANGE` events carry).
  public static func serialPortID(_ index: Int) -> String { "port\(index)" }

  /// A clone maps the snapshot's memory privately: pages load on demand
  /// and writes stay its own. Every other VM owns a memory file, shared, so
  /// that a snapshot of it can keep the file instead of copying RAM; one
  /// restored from a stream that holds its RAM gets a new file for it.
  var memoryBackend: String {
    let size = "memory-backend-file,id=mem,size=\(configuration.memoryMiB)M"
    if let snapshot = configuration.restore, !configuration.restoreTakesOver, snapshot.holdsMemory {
      return "\(size),mem-path=\(snapshot.memory),share=off"
    }
    return "\(size),mem-path=\(directory.memory),share=on"
  }

  /// The most translated code TCG keeps, MiB (`COVE_TCG_TB_MIB`
  /// overrides). QEMU 7.2's default for system emulation is 1 GiB, filled
  /// as the guest runs new code and kept for the process's life: a clone
  /// of a busybox template held 34 MiB of it after its first exec, and a
  /// busy guest grows it towards the gigabyte. When the cache is full TCG
  /// flushes it and translates again what runs next, and the pages it
  /// filled stay resident: an idle clone's share is the whole bound. An
  /// exec through the agent runs about 10 MiB of translated code (gRPC,
  /// the spawn, the guest kernel's fork and exec), and exec plus idle about
  /// 26 MiB, so about 32 MiB is the least that holds it: at 28 MiB execs
  /// ran as fast, at 24 MiB three execs in ten flushed the cache (300-1000
  /// ms each), and at 16 or 20 MiB nearly every exec did (p50 770-855 ms
  /// against 106 ms at 32 MiB on the same loaded machine)
  /// (docs/PERFORMANCE.md, "Memory per clone").
  public static var translationCacheMiB: Int {
    if let value = ProcessInfo.processInfo.environment["COVE_TCG_TB_MIB"].flatMap({ Int($0) }), value > 0 {
      return value
    }
    return defaultTranslationCacheMiB
  }
  public static let defaultTranslationCacheMiB = 32

  /// Environment variables QEMU is started with, on top of Cove's own; a
  /// variable already set in Cove's environment is passed on unchanged
  /// instead, so a host can choose its own. Both shrink QEMU's heap and
  /// change nothing the guest sees (QEMU's heap in an idle clone, mean of
  /// 2 x 5 clones: 15.2 -> 13.7 MiB):
  /// - `G_SLICE=always-malloc`: GLib 2.74 (Debian 12's QEMU) otherwise keeps
  ///   freed slices in per-thread magazines for good; TCG allocates a tree
  ///   node for each translated block (about 55,000 by a clone's first
  ///   exec) and frees them all at each cache flush.
  /// - `MALLOC_ARENA_MAX=1`: glibc gives each thread that allocates (the
  ///   vCPU, the main loop, RCU, I/O workers) an arena of its own, each
  ///   holding on to its free memory; QEMU's threads mostly work in turn,
  ///   under its global lock, so one arena costs no waiting.
  public static func environment(over current: [String: String] = ProcessInfo.processInfo.environment)
    -> [String: String]
  {
    ["G_SLICE": "always-malloc", "MALLOC_ARENA_MAX": "1"].filter { current[$0.key] == nil }
  }

  /// Whether QEMU may use transparent huge pages. QEMU asks for them on
  /// every RAM block, so with them the 2 MiB block that holds the guest's
  /// few KiB of ACPI tables takes a whole huge page: 2 MiB per VM. Under
  /// TCG they buy little (guest memory goes through QEMU's own TLB): clones
  /// started, cold guests booted and execs ran as fast without. Under KVM
  /// they stay: there they back guest memory when the host allows them
  /// for shared memory.
  public static func transparentHugePages(_ accelerator: Accelerator) -> Bool { accelerator == .kvm }

  /// `-accel`'s value: KVM as it is; TCG with its translation cache bounded.
  var accelerator: String {
    switch configuration.accelerator {
    case .tcg: "tcg,tb-size=\(Self.translationCacheMiB)"
    case .kvm: configuration.accelerator.rawValue
    }
  }

  public var arguments: [String] {
    let c = configuration
    var args = [
      "-M", "microvm,memory-backend=mem",
      "-accel", accelerator,
    ]
    // The guest's random pool must be ready at once: the agent's first
    // getrandom() (Swift's hash seed, before main) blocks until it is, about
    // 1.2 s into a TCG boot with the default CPU model. With RDRAND, which
    // the kernel trusts, the pool is ready 30 ms into boot. ("max" has it
    // too, but one boot in a few hung early under TCG with it.) ARAT (a
    // LAPIC timer that runs in deep C-states) lets the kernel go tickless:
    // without it an idle guest keeps a 250 Hz periodic tick and costs
    // 14-55 ms of host CPU a second under TCG, with it 7-10.
    args += ["-cpu", c.accelerator == .kvm ? "host" : "qemu64,+rdrand,+arat"]
    args += [
      "-smp", "\(c.cpus)",
      "-m", "\(c.memoryMiB)M",
      "-object", memoryBackend,
      "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
    ]
    // A restored guest has its kernel in RAM already. QEMU reads a kernel
    // given with -kernel into a buffer it keeps for the process's life
    // (13.5 MiB of private memory for Debian's cloud kernel), so a clone or
    // a resumed VM goes without; a reboot ends QEMU (-no-reboot) anyway.
    if c.restore == nil {
      args += ["-kernel", c.kernel.vmlinuz, "-initrd", c.initramfs, "-append", kernelArguments.joined(separator: " ")]
    }
    // The overlay's file keeps the access it was opened with. QEMU's
    // default (auto-read-only) reopens it by path, read-only, when a
    // migration ends and writers go; a QEMU in its view finds no such path
    // and the snapshot fails (VMMConfinement).
    args += [
      "-serial", "file:\(directory.console)",
      "-drive", "id=root,file=\(directory.overlay),format=qcow2,if=none,discard=unmap,file.auto-read-only=off",
      "-device", "virtio-blk-device,drive=root",
      "-device", "virtio-serial-device",
      "-chardev", "socket,id=agent,path=\(directory.agentSocket),server=on,wait=off",
      "-device", "virtserialport,id=agent,chardev=agent,name=org.cove.agent",
    ]
    for (index, name) in c.serialPorts.enumerated() {
      let id = Self.serialPortID(index)
      args += [
        "-chardev", "socket,id=\(id),path=\(directory.serialSocket(named: name)),server=on,wait=off",
        "-device", "virtserialport,id=\(id),chardev=\(id),name=\(name)",
      ]
    }
    args += [
      "-object", "rng-random,id=rng,filename=/dev/urandom",
      "-device", "virtio-rng-device,rng=rng",
    ]
    if c.network {
      let forwards = c.portForwards.map { ",hostfwd=tcp:127.0.0.1:\($0.hostPort)-:\($0.guestPort)" }.joined()
      args += ["-netdev", "user,id=net\(forwards)", "-device", "virtio-net-device,netdev=net"]
    }
    args += [
      "-qmp", "unix:\(directory.qmpSocket),server=on,wait=off",
      // For migrations into and from files Cove opens (QMPMigrationChannel).
      "-qmp", "unix:\(directory.migrationSocket),server=on,wait=off",
      "-pidfile", directory.pidFile,
      "-daemonize",
    ]
    // Either way the guest waits, stopped, for Cove's QMP connection, so no
    // event is sent before anyone listens: a booting guest that opened its
    // agent port while QMP was still connecting (6.8 s under load) was
    // waited for until the boot deadline.
    args += c.restore != nil ? ["-incoming", "defer"] : ["-S"]
    return args
  }
}
