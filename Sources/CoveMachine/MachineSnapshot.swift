import Foundation

/// A stopped VM kept on disk: guest memory, device state and disk, which
/// together make a VM that carries on where it stood. Many VMs can start
/// from one: the memory is mapped copy-on-write, the disk is the backing
/// file of each VM's overlay.
public struct MachineSnapshot: Codable, Sendable, Equatable {
  /// The directory holding the three files.
  public var directory: String
  public var memoryMiB: Int
  public var cpus: Int

  public init(directory: String, memoryMiB: Int, cpus: Int) {
    self.directory = directory
    self.memoryMiB = memoryMiB
    self.cpus = cpus
  }

  /// Guest RAM, as the VM's memory-backend-file left it (see ``holdsMemory``).
  public var memory: String { directory + "/memory" }
  /// Device state from QEMU's migration stream (RAM left out unless
  /// ``holdsMemory`` is false).
  public var state: String { directory + "/state" }
  /// Present when guest RAM is in the state stream instead of a memory file:
  /// the snapshot of a VM whose memory was itself a private mapping of
  /// another snapshot's (a clone) has no file of its own to keep.
  public var memoryInStateMarker: String { directory + "/memory-in-state" }

  /// Whether guest RAM is in ``memory`` (mapped, not loaded) rather than
  /// in the state stream.
  public var holdsMemory: Bool { !FileManager.default.fileExists(atPath: memoryInStateMarker) }
  /// The VM's disk overlay (its backing file is the base image).
  public var disk: String { directory + "/disk.qcow2" }
}
