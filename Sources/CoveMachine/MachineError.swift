import Foundation

/// What can go wrong with a VM, with what the user needs to see to fix it.
public enum MachineError: Error, CustomStringConvertible {
  case missingInput(what: String, path: String)
  case invalidConfiguration(String)
  case qemuFailed(String)
  case exitedDuringBoot(console: String)
  case bootStalled(cpuSeconds: Double, console: String)
  case agentTimeout(seconds: Double, console: String)
  case exited(console: String)
  case qmp(String)
  case notRunning
  /// A file operation on the VM's or a snapshot's files failed.
  case io(String, errno: Int32)

  public var description: String {
    switch self {
    case .missingInput(let what, let path): return "\(what) not found: \(path)"
    case .invalidConfiguration(let why): return "invalid machine configuration: \(why)"
    case .qemuFailed(let output): return "QEMU did not start: \(output)"
    case .exitedDuringBoot(let console):
      return "the VM stopped before its agent answered; console:\n\(console)"
    case .bootStalled(let seconds, let console):
      return "the guest used \(seconds) s of CPU without its agent answering; console:\n\(console)"
    case .agentTimeout(let seconds, let console):
      return "the guest agent did not answer within \(seconds) s; console:\n\(console)"
    case .exited(let console): return "the VM stopped unexpectedly; console:\n\(console)"
    case .qmp(let why): return "QMP: \(why)"
    case .notRunning: return "the VM is not running"
    case .io(let what, let code): return "\(what): \(String(cString: strerror(code)))"
    }
  }
}
