/// What one sandbox's QEMU may take from the host, enforced by its cgroup
/// (``CGroup``).
public struct ResourceLimits: Sendable, Equatable, Codable {
  /// CPU time per scheduling period, in cores: the vCPUs by default, so
  /// that QEMU's own threads (I/O, the main loop) come out of the guest's
  /// share instead of the neighbours'.
  public var cpuCores: Double
  /// Guest RAM plus ``vmmOverheadMiB``. Above it the kernel reclaims the
  /// group's page cache first, then kills QEMU.
  public var memoryBytes: Int
  /// Processes and threads. QEMU has a thread per vCPU, a main loop, an RCU
  /// thread and a block I/O pool of up to 64 workers; a fork bomb has none
  /// of that room.
  public var pids: Int
  /// Proportional block I/O weight (1 to 1000 for BFQ, 100 is the kernel's
  /// default), applied where the host's I/O scheduler offers weights.
  public var ioWeight: Int

  /// Memory QEMU needs besides guest RAM, MiB: TCG's translation cache
  /// (32 MiB, `QEMUCommandLine.translationCacheMiB`), a kernel given with
  /// -kernel (13.5 MiB, kept for the process's life), the heap, thread
  /// stacks and page tables, and the page cache of the VM's disk, which v1
  /// charges to the group too (reclaimable). Measured by
  /// ConfinementTests: a 256 MiB busybox guest's group peaked at guest RAM
  /// touched plus 40-70 MiB under TCG (QEMU's anonymous memory: 65 MiB),
  /// so 160 leaves room for the disk's page cache and a busier guest.
  public static let vmmOverheadMiB = 160

  public init(cpuCores: Double, memoryBytes: Int, pids: Int, ioWeight: Int = 100) {
    self.cpuCores = cpuCores
    self.memoryBytes = memoryBytes
    self.pids = pids
    self.ioWeight = ioWeight
  }

  /// The limits of a VM of this size.
  public init(cpus: Int, memoryMiB: Int) {
    self.init(
      cpuCores: Double(cpus), memoryBytes: (memoryMiB + Self.vmmOverheadMiB) << 20, pids: 96 + cpus)
  }

  /// The CFS period the quota is counted in, microseconds (the kernel's default).
  public static let cpuPeriodMicroseconds = 100_000
  /// ``cpuCores`` as CPU time per period, microseconds.
  public var cpuQuotaMicroseconds: Int { Int((cpuCores * Double(Self.cpuPeriodMicroseconds)).rounded()) }
}
