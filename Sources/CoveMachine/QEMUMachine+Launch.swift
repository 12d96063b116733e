import CCoveHost
import CoveImages
import Foundation
import Subprocess

/// Transparent huge pages turned off for this process and every program it
/// starts after (the setting is inherited and kept across exec: that is how
/// QEMU gets it). Cove itself makes no use of huge pages. Done once, on the
/// first QEMU started without them; 0, or -1 when the kernel refused.
private let hugePagesOff: Int32 = cove_disable_transparent_hugepages()

extension QEMUMachine {
  /// Runs QEMU with `arguments`, `environment` added to Cove's own
  /// (``QEMUCommandLine/environment(over:)``), and without transparent
  /// huge pages unless `hugePages`
  /// (``QEMUCommandLine/transparentHugePages(_:)``), and waits for it: with
  /// `-daemonize` it returns once the VM is set up and running in the
  /// background. A QEMU that exits with an error gives
  /// ``MachineError/qemuFailed(_:)`` with what it printed.
  static func launchQEMU(
    _ program: String, _ arguments: [String], environment: [String: String], hugePages: Bool = true
  ) async throws {
    let executable = try HostCommand.locate(program, package: "qemu-system-x86")
    var added: [Environment.Key: String?] = [:]
    for (name, value) in environment {
      if let key = Environment.Key(rawValue: name) { added[key] = value }
    }
    // A host that refuses (a kernel before 3.15) runs QEMU with them.
    if !hugePages { _ = hugePagesOff }
    let environment = Environment.inherit.updating(added)
    let result = try await Subprocess.run(
      .path(.init(executable)), arguments: .init(arguments), environment: environment,
      output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
    guard case .exited(0) = result.terminationStatus else {
      let output = result.standardError + result.standardOutput
      throw MachineError.qemuFailed(output.trimmingCharacters(in: .whitespacesAndNewlines))
    }
  }
}
