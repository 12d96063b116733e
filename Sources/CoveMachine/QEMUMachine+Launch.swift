import CoveImages
import Foundation
import Subprocess

extension QEMUMachine {
  /// Runs QEMU with `arguments`, `environment` added to Cove's own
  /// (``QEMUCommandLine/environment(over:)``), and waits for it: with
  /// `-daemonize` it returns once the VM is set up and running in the
  /// background. A QEMU that exits with an error gives
  /// ``MachineError/qemuFailed(_:)`` with what it printed.
  static func launchQEMU(_ program: String, _ arguments: [String], environment: [String: String]) async throws {
    let executable = try HostCommand.locate(program, package: "qemu-system-x86")
    var added: [Environment.Key: String?] = [:]
    for (name, value) in environment {
      if let key = Environment.Key(rawValue: name) { added[key] = value }
    }
    let result = try await Subprocess.run(
      .path(.init(executable)), arguments: .init(arguments), environment: .inherit.updating(added),
      output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
    guard case .exited(0) = result.terminationStatus else {
      let output = result.standardError + result.standardOutput
      throw MachineError.qemuFailed(output.trimmingCharacters(in: .whitespacesAndNewlines))
    }
  }
}
