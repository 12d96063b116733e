import CoveAgentProto
import CoveRules
import Foundation

/// How a command ended.
public struct CommandExit: Sendable, Equatable {
  /// The exit code, or 128 + the signal that killed it (``ExitStatus/shellCode``).
  public var code: Int32
  public var signal: Int32?
  public var timedOut: Bool
}

/// Which stream a piece of output came from.
public enum StandardStream: Sendable { case stdout, stderr }

extension QEMUMachine {
  /// Runs one command through the agent (which must answer already; see
  /// ``waitForAgent(timeout:)``) and hands its output to `output` as it
  /// arrives. A VM that dies meanwhile gives ``MachineError/exited(console:)``.
  public func execute(
    _ request: Cove_Agent_V1_StartRequest,
    output: @escaping @Sendable (StandardStream, Data) -> Void
  ) async throws -> CommandExit {
    let agent = try await waitForAgent(timeout: .seconds(5))
    do {
      let exit = try await agent.processes.start(request) { response in
        var exit: CommandExit?
        for try await event in response.messages {
          switch event.event {
          case .stdout(let data): output(.stdout, data)
          case .stderr(let data): output(.stderr, data)
          case .exited:
            if case .exited(let status, let timedOut)? = ProcessEvent(event) {
              exit = CommandExit(code: status.shellCode, signal: status.signal, timedOut: timedOut)
            }
          default: break
          }
        }
        return exit
      }
      guard let exit else { throw MachineError.exited(console: directory.consoleTail()) }
      return exit
    } catch let error as MachineError {
      throw error
    } catch {
      // The stream broke: when the VM is gone, say that, with its console.
      if !(await waitUntilGone(within: .milliseconds(500))) { throw error }
      throw MachineError.exited(console: directory.consoleTail())
    }
  }

  /// Whether QEMU is gone, waiting up to `within` for it to go.
  func waitUntilGone(within limit: Duration) async -> Bool {
    guard let pid else { return true }
    return await ProcessExit.wait(for: pid, within: limit)
  }
}
