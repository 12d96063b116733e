import CoveRules
import Foundation

/// The guest as the host's layers see it: processes, files, the system, and
/// the workload's hooks and services, in plain Swift types. The gRPC
/// channel to the agent is one implementation (``AgentConnection``); a fake
/// can be another.
///
/// Calls fail with ``GuestError``. A call that streams hands its stream to
/// `body` and lasts as long as `body` runs: what `body` does not pull stays
/// in the guest (back-pressure), and cancelling the task, or returning
/// early, ends the call (a command that was not started in the background
/// is killed then).
public protocol GuestAgent: Sendable {
  // MARK: Processes

  /// Starts a process and hands its events to `body`, from `started` to `exited`.
  func start<Result: Sendable>(
    _ spec: ProcessSpec, _ body: @escaping @Sendable (GuestStream<ProcessEvent>) async throws -> Result
  ) async throws -> Result
  /// A running process's events from now on, to its exit.
  func attach<Result: Sendable>(
    pid: UInt32, _ body: @escaping @Sendable (GuestStream<ProcessEvent>) async throws -> Result
  ) async throws -> Result
  func listProcesses() async throws -> [GuestProcess]
  /// Writes to a process's standard input (of any size: it travels in
  /// pieces), then closes it when `close`.
  func writeStdin(pid: UInt32, _ data: Data, close: Bool) async throws
  func signal(pid: UInt32, _ signal: Int32) async throws
  func resize(pid: UInt32, to size: TerminalSize) async throws

  // MARK: Files

  func stat(_ path: String) async throws -> FileInfo
  /// The entries under `path`, `depth` levels down (1: its children).
  func list(_ path: String, depth: Int) async throws -> [FileInfo]
  /// Hands the file's contents to `body` as the agent reads them.
  func read<Result: Sendable>(
    _ path: String, _ body: @escaping @Sendable (GuestStream<Data>) async throws -> Result
  ) async throws -> Result
  /// Writes a file from what `contents` writes, atomically: a temporary
  /// file renamed into place once `contents` returns, so a `contents` that
  /// throws changes nothing. Returns the bytes written.
  @discardableResult
  func write(
    _ path: String, mode: UInt32, createParents: Bool,
    contents: @escaping @Sendable (GuestFileWriter) async throws -> Void
  ) async throws -> UInt64
  func makeDirectory(_ path: String, mode: UInt32, parents: Bool) async throws
  func move(_ from: String, to: String) async throws
  func remove(_ path: String, recursive: Bool) async throws
  /// Hands changes under `path` to `body` as they happen.
  func watch<Result: Sendable>(
    _ path: String, _ body: @escaping @Sendable (GuestStream<FileChange>) async throws -> Result
  ) async throws -> Result

  // MARK: System

  /// The agent's health; `timeout` bounds the wait for an answer.
  func health(timeout: Duration?) async throws -> GuestHealth
  func metrics(diskPath: String) async throws -> GuestMetrics
  /// Replaces the environment every new process starts with.
  func setEnvironment(_ env: [String: String]) async throws
  func setClock(to date: Date) async throws
  /// Mixes `data` into the guest kernel's random pool, which reseeds at once.
  func addEntropy(_ data: Data) async throws
  func setHostname(_ name: String) async throws
  /// Asks the guest to power off (or reboot, which ends a QEMU run with -no-reboot).
  func shutdown(reboot: Bool, timeout: Duration?) async throws

  // MARK: Lifecycle hooks and services

  /// Sets the workload's hook commands; `httpPort` is where hooks without a
  /// command are sent as HTTP requests (nil for none).
  func configureHooks(_ hooks: [GuestHook: HookCommand], httpPort: Int?) async throws
  func invoke(_ hook: GuestHook, payload: Data, timeout: Duration?) async throws -> HookResult
  /// The hooks that ran, oldest first.
  func hookHistory() async throws -> [GuestHookRun]
  @discardableResult
  func startService(_ spec: ServiceSpec) async throws -> ServiceState
  @discardableResult
  func stopService(named name: String) async throws -> ServiceState
  func listServices() async throws -> [ServiceState]
  /// The last `tailBytes` of a service's log.
  func serviceLogs(named name: String, tailBytes: Int) async throws -> Data
}

extension GuestAgent {
  /// Starts a command and hands each of its events to `onEvent`; `stdin`,
  /// if any, is written (then closed) once it started, beside the reading,
  /// so that neither waits on the other.
  public func run(
    _ spec: ProcessSpec, stdin: Data? = nil, onEvent: @escaping @Sendable (ProcessEvent) async throws -> Void
  ) async throws {
    var spec = spec
    if stdin != nil { spec.stdin = true }
    try await start(spec) { events in
      var writing: Task<Void, Never>?
      defer { writing?.cancel() }
      for try await event in events {
        if let stdin, case .started(let pid) = event {
          writing = Task { try? await writeStdin(pid: pid, stdin, close: true) }
        }
        try await onEvent(event)
      }
    }
  }

  /// Starts a process that keeps running after this call, and returns its
  /// pid; nil when the agent ended the call without starting it.
  public func launch(_ spec: ProcessSpec) async throws -> UInt32? {
    var spec = spec
    spec.background = true
    return try await start(spec) { events in
      for try await event in events {
        if case .started(let pid) = event { return pid }
      }
      return nil
    }
  }

  public func invoke(_ hook: GuestHook, payload: Data = Data()) async throws -> HookResult {
    try await invoke(hook, payload: payload, timeout: nil)
  }
}

/// What a streaming guest call gives back, in order. Each element is pulled
/// from the guest when asked for, so a slow reader slows the sender.
public struct GuestStream<Element: Sendable>: AsyncSequence {
  public typealias Failure = any Error

  private let makeIterator: @Sendable () -> AsyncIterator

  /// The elements of `base` that `transform` keeps, with its errors passed
  /// through `mapError`.
  public init<Base: AsyncSequence & Sendable>(
    _ base: Base, mapError: @escaping @Sendable (any Error) -> any Error = { $0 },
    transform: @escaping @Sendable (Base.Element) -> Element?
  ) {
    makeIterator = {
      var iterator = base.makeAsyncIterator()
      return AsyncIterator {
        do {
          while let element = try await iterator.next() {
            if let kept = transform(element) { return kept }
          }
          return nil
        } catch {
          throw mapError(error)
        }
      }
    }
  }

  public func makeAsyncIterator() -> AsyncIterator { makeIterator() }

  public struct AsyncIterator: AsyncIteratorProtocol {
    let nextElement: () async throws -> Element?

    public mutating func next() async throws -> Element? { try await nextElement() }
  }
}

/// Where a file's contents go in ``GuestAgent/write(_:mode:createParents:contents:)``.
/// Writes are gathered into pieces of the size the agent's messages take,
/// and each piece waits until the guest can take it.
public final class GuestFileWriter {
  private let send: (Data) async throws -> Void
  private let pieceBytes: Int
  private var pending = Data()

  public init(pieceBytes: Int = GuestLimits.hostChunkBytes, send: @escaping (Data) async throws -> Void) {
    self.pieceBytes = pieceBytes
    self.send = send
  }

  public func write(_ bytes: some Sequence<UInt8>) async throws {
    pending.append(contentsOf: bytes)
    while pending.count >= pieceBytes {
      try await send(pending.prefix(pieceBytes))
      pending.removeFirst(pieceBytes)
    }
  }

  /// Sends what is left; the implementation calls it once `contents` returned.
  public func flush() async throws {
    guard !pending.isEmpty else { return }
    try await send(pending)
    pending = Data()
  }
}
