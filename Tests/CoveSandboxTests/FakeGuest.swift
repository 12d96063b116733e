import CoveMachine
import CoveRules
import Foundation
import Synchronization

/// A guest agent that answers the calls the manager makes (identity, clock,
/// environment, shutdown) and records them; every other call is refused
/// with `unimplemented`, so a test that reaches one sees it.
final class FakeGuest: GuestAgent {
  struct Calls {
    var hostname: String?
    var environment: [String: String]?
    var clockSets = 0
    var entropy = 0
    var shutdowns = 0
  }
  let calls = Mutex(Calls())

  private func refused(_ call: String = #function) -> GuestError {
    GuestError(.unimplemented, "the fake guest does not do \(call)")
  }

  func setHostname(_ name: String) async throws { calls.withLock { $0.hostname = name } }
  func setEnvironment(_ env: [String: String]) async throws { calls.withLock { $0.environment = env } }
  func setClock(to date: Date) async throws { calls.withLock { $0.clockSets += 1 } }
  func addEntropy(_ data: Data) async throws { calls.withLock { $0.entropy += 1 } }
  func shutdown(reboot: Bool, timeout: Duration?) async throws { calls.withLock { $0.shutdowns += 1 } }

  func start<Result: Sendable>(
    _ spec: ProcessSpec, _ body: @escaping @Sendable (GuestStream<ProcessEvent>) async throws -> Result
  ) async throws -> Result { throw refused() }
  func attach<Result: Sendable>(
    pid: UInt32, _ body: @escaping @Sendable (GuestStream<ProcessEvent>) async throws -> Result
  ) async throws -> Result { throw refused() }
  func listProcesses() async throws -> [GuestProcess] { throw refused() }
  func writeStdin(pid: UInt32, _ data: Data, close: Bool) async throws { throw refused() }
  func signal(pid: UInt32, _ signal: Int32) async throws { throw refused() }
  func resize(pid: UInt32, to size: TerminalSize) async throws { throw refused() }
  func stat(_ path: String) async throws -> FileInfo { throw refused() }
  func list(_ path: String, depth: Int) async throws -> [FileInfo] { throw refused() }
  func read<Result: Sendable>(
    _ path: String, _ body: @escaping @Sendable (GuestStream<Data>) async throws -> Result
  ) async throws -> Result { throw refused() }
  func write(
    _ path: String, mode: UInt32, createParents: Bool,
    contents: @escaping @Sendable (GuestFileWriter) async throws -> Void
  ) async throws -> UInt64 { throw refused() }
  func makeDirectory(_ path: String, mode: UInt32, parents: Bool) async throws { throw refused() }
  func move(_ from: String, to: String) async throws { throw refused() }
  func remove(_ path: String, recursive: Bool) async throws { throw refused() }
  func watch<Result: Sendable>(
    _ path: String, _ body: @escaping @Sendable (GuestStream<FileChange>) async throws -> Result
  ) async throws -> Result { throw refused() }
  func health(timeout: Duration?) async throws -> GuestHealth { throw refused() }
  func metrics(diskPath: String) async throws -> GuestMetrics { throw refused() }
  func configureHooks(_ hooks: [GuestHook: HookCommand], httpPort: Int?) async throws { throw refused() }
  func invoke(_ hook: GuestHook, payload: Data, timeout: Duration?) async throws -> HookResult { throw refused() }
  func hookHistory() async throws -> [GuestHookRun] { throw refused() }
  func startService(_ spec: ServiceSpec) async throws -> ServiceState { throw refused() }
  func stopService(named name: String) async throws -> ServiceState { throw refused() }
  func listServices() async throws -> [ServiceState] { throw refused() }
  func serviceLogs(named name: String, tailBytes: Int) async throws -> Data { throw refused() }
}
