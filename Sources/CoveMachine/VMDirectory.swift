import Foundation

/// The per-VM directory and the files in it. Everything a VM creates on
/// the host lives here, so removing the directory leaves nothing behind.
public struct VMDirectory: Sendable {
  public let path: String
  /// Guest RAM. It lives in /dev/shm when the host has it: first touches of
  /// a shared mapping of a disk file cost a TCG boot about 0.3 s.
  public let memory: String

  public init(path: String, memoryDirectory: String? = VMDirectory.defaultMemoryDirectory) {
    self.path = path
    let id = URL(fileURLWithPath: path).lastPathComponent
    self.memory = memoryDirectory.map { "\($0)/cove-\(getuid())-\(id).memory" } ?? path + "/memory"
  }

  public static var defaultMemoryDirectory: String? {
    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : nil
  }

  /// Removes the directory and the memory file.
  public func remove() {
    try? FileManager.default.removeItem(atPath: memory)
    try? FileManager.default.removeItem(atPath: path)
  }

  public var overlay: String { path + "/root.qcow2" }
  public var console: String { path + "/console.log" }
  public var agentSocket: String { path + "/agent.sock" }
  public var qmpSocket: String { path + "/qmp.sock" }
  public var pidFile: String { path + "/qemu.pid" }
  /// The host end of an extra virtio-serial port (see
  /// ``MachineConfiguration/serialPorts``).
  public func serialSocket(named name: String) -> String { path + "/port-\(name).sock" }
  /// The pid of the Cove process that owns the VM, for sweeping the VMs of
  /// Cove processes that died without cleaning up.
  public var ownerFile: String { path + "/owner.pid" }

  public var qemuPID: pid_t? {
    (try? String(contentsOfFile: pidFile, encoding: .utf8))
      .flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
  }

  /// The last `limit` bytes of the guest console.
  public func consoleTail(limit: Int = 3000) -> String {
    guard let data = FileManager.default.contents(atPath: console) else { return "(no console output)" }
    let text = String(decoding: data.suffix(limit), as: UTF8.self)
    return text.isEmpty ? "(no console output)" : text
  }
}

/// Whether a process exists and is not a zombie.
func processIsAlive(_ pid: pid_t) -> Bool {
  guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
  // The state letter follows the command name, which is in parentheses.
  guard let close = stat.lastIndex(of: ")") else { return false }
  let state = stat[stat.index(after: close)...].split(separator: " ").first
  return state != "Z" && state != "X"
}

/// Whether `pid` is a QEMU started for the VM in `directory` (and not an
/// unrelated process that reused the pid).
func isQEMU(_ pid: pid_t, of directory: VMDirectory) -> Bool {
  guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
  return String(decoding: cmdline, as: UTF8.self).contains(directory.qmpSocket)
}
