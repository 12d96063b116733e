import CoveAgentProto
import CoveRules
import Foundation
import GRPCCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

// The guest interface over the agent's gRPC services: each method is one
// call, its request and answer translated, and RPCError turned into
// GuestError. Nothing above the machine layer sees gRPC.

extension AgentConnection: GuestAgent {
  // MARK: Processes

  public func start<Result: Sendable>(
    _ spec: ProcessSpec, _ body: @escaping @Sendable (GuestStream<ProcessEvent>) async throws -> Result
  ) async throws -> Result {
    try await translatingErrors {
      try await processes.start(Cove_Agent_V1_StartRequest(spec)) { response in
        try await body(Self.events(response.messages))
      }
    }
  }

  public func attach<Result: Sendable>(
    pid: UInt32, _ body: @escaping @Sendable (GuestStream<ProcessEvent>) async throws -> Result
  ) async throws -> Result {
    try await translatingErrors {
      try await processes.attach(.with { $0.process = .selecting(pid) }) { response in
        try await body(Self.events(response.messages))
      }
    }
  }

  public func listProcesses() async throws -> [GuestProcess] {
    try await translatingErrors {
      try await processes.list(.init()).processes.map {
        GuestProcess(pid: $0.pid, tag: $0.tag, argv: $0.argv, terminal: $0.pty, background: $0.background)
      }
    }
  }

  public func writeStdin(pid: UInt32, _ data: Data, close: Bool) async throws {
    try await translatingErrors {
      // In pieces under the agent's message limit; only the last one closes.
      var offset = data.startIndex
      repeat {
        let end = min(offset + GuestLimits.hostChunkBytes, data.endIndex)
        _ = try await processes.writeStdin(
          .with {
            $0.process = .selecting(pid)
            $0.data = data[offset..<end]
            $0.close = close && end == data.endIndex
          })
        offset = end
      } while offset < data.endIndex
    }
  }

  public func signal(pid: UInt32, _ signal: Int32) async throws {
    try await translatingErrors {
      _ = try await processes.signal(
        .with {
          $0.process = .selecting(pid)
          $0.signal = signal
        })
    }
  }

  public func resize(pid: UInt32, to size: TerminalSize) async throws {
    try await translatingErrors {
      _ = try await processes.resizePty(
        .with {
          $0.process = .selecting(pid)
          $0.size = .init(size)
        })
    }
  }

  // MARK: Files

  public func stat(_ path: String) async throws -> FileInfo {
    try await translatingErrors { FileInfo(try await files.stat(.with { $0.path = path }).info) }
  }

  public func list(_ path: String, depth: Int) async throws -> [FileInfo] {
    try await translatingErrors {
      try await files.list(
        .with {
          $0.path = path
          $0.depth = UInt32(clamping: depth)
        }
      ).entries.map(FileInfo.init)
    }
  }

  public func read<Result: Sendable>(
    _ path: String, _ body: @escaping @Sendable (GuestStream<Data>) async throws -> Result
  ) async throws -> Result {
    try await translatingErrors {
      try await files.read(.with { $0.path = path }) { response in
        try await body(GuestStream(response.messages, mapError: GuestError.init(translating:)) { $0.data })
      }
    }
  }

  @discardableResult
  public func write(
    _ path: String, mode: UInt32, createParents: Bool,
    contents: @escaping @Sendable (GuestFileWriter) async throws -> Void
  ) async throws -> UInt64 {
    try await translatingErrors {
      try await files.write(requestProducer: { writer in
        try await writer.write(
          .with {
            $0.header = .with {
              $0.path = path
              $0.mode = mode
              $0.createParents = createParents
            }
          })
        let pieces = GuestFileWriter { piece in try await writer.write(.with { $0.data = piece }) }
        try await contents(pieces)
        try await pieces.flush()
        // Only now does the agent rename the file into place.
        try await writer.write(.with { $0.finish = true })
      }).bytesWritten
    }
  }

  public func makeDirectory(_ path: String, mode: UInt32, parents: Bool) async throws {
    try await translatingErrors {
      _ = try await files.makeDirectory(
        .with {
          $0.path = path
          $0.parents = parents
          $0.mode = mode
        })
    }
  }

  public func move(_ from: String, to: String) async throws {
    try await translatingErrors {
      _ = try await files.rename(
        .with {
          $0.from = from
          $0.to = to
        })
    }
  }

  public func remove(_ path: String, recursive: Bool) async throws {
    try await translatingErrors {
      _ = try await files.remove(
        .with {
          $0.path = path
          $0.recursive = recursive
        })
    }
  }

  public func watch<Result: Sendable>(
    _ path: String, _ body: @escaping @Sendable (GuestStream<FileChange>) async throws -> Result
  ) async throws -> Result {
    try await translatingErrors {
      try await files.watch(.with { $0.path = path }) { response in
        try await body(GuestStream(response.messages, mapError: GuestError.init(translating:)) { FileChange($0) })
      }
    }
  }

  // MARK: System

  public func health(timeout: Duration?) async throws -> GuestHealth {
    try await translatingErrors {
      let answer = try await system.health(.init(), options: .timeout(timeout))
      return GuestHealth(
        version: answer.version, uptime: .milliseconds(Int64(clamping: answer.uptimeMs)), initMode: answer.initMode)
    }
  }

  public func metrics(diskPath: String) async throws -> GuestMetrics {
    try await translatingErrors {
      let answer = try await system.metrics(.with { $0.diskPath = diskPath })
      return GuestMetrics(
        cpuCount: Int(answer.cpuCount), load1m: answer.load1M,
        cpuUser: .milliseconds(Int64(clamping: answer.cpuUserMs)),
        cpuSystem: .milliseconds(Int64(clamping: answer.cpuSystemMs)),
        cpuIdle: .milliseconds(Int64(clamping: answer.cpuIdleMs)), memoryTotalBytes: answer.memoryTotalBytes,
        memoryAvailableBytes: answer.memoryAvailableBytes, diskTotalBytes: answer.diskTotalBytes,
        diskFreeBytes: answer.diskFreeBytes, agentResidentBytes: answer.agentRssBytes,
        processCount: Int(answer.processCount))
    }
  }

  public func setEnvironment(_ env: [String: String]) async throws {
    try await translatingErrors { _ = try await system.setEnvironment(.with { $0.env = env }) }
  }

  public func setClock(to date: Date) async throws {
    try await translatingErrors {
      _ = try await system.setClock(.with { $0.unixNs = Int64(date.timeIntervalSince1970 * 1e9) })
    }
  }

  public func addEntropy(_ data: Data) async throws {
    try await translatingErrors { _ = try await system.addEntropy(.with { $0.data = data }) }
  }

  public func setHostname(_ name: String) async throws {
    try await translatingErrors { _ = try await system.setHostname(.with { $0.hostname = name }) }
  }

  public func shutdown(reboot: Bool, timeout: Duration?) async throws {
    try await translatingErrors {
      _ = try await system.shutdown(.with { $0.reboot = reboot }, options: .timeout(timeout))
    }
  }

  // MARK: Lifecycle hooks and services

  public func configureHooks(_ hooks: [GuestHook: HookCommand], httpPort: Int?) async throws {
    try await translatingErrors {
      _ = try await lifecycle.configure(
        .with { request in
          // In the hooks' own order, so the request is the same each time.
          request.hooks = GuestHook.allCases.compactMap { hook in
            hooks[hook].map { command in
              .with {
                $0.hook = .init(hook)
                $0.command = .init(command)
              }
            }
          }
          request.httpPort = UInt32(clamping: httpPort ?? 0)
        })
    }
  }

  public func invoke(_ hook: GuestHook, payload: Data, timeout: Duration?) async throws -> HookResult {
    try await translatingErrors {
      let answer = try await lifecycle.invoke(
        .with {
          $0.hook = .init(hook)
          $0.payload = payload
        }, options: .timeout(timeout))
      return HookResult(
        outcome: .init(answer.outcome), exitCode: answer.exitCode, output: answer.output, message: answer.message)
    }
  }

  public func hookHistory() async throws -> [GuestHookRun] {
    try await translatingErrors {
      try await lifecycle.status(.init()).history.map { record in
        GuestHookRun(
          hook: GuestHook(record.hook), outcome: .init(record.outcome),
          at: Date(timeIntervalSince1970: Double(record.unixMs) / 1000))
      }
    }
  }

  @discardableResult
  public func startService(_ spec: ServiceSpec) async throws -> ServiceState {
    try await translatingErrors { ServiceState(try await services.start(.init(spec))) }
  }

  @discardableResult
  public func stopService(named name: String) async throws -> ServiceState {
    try await translatingErrors { ServiceState(try await services.stop(.with { $0.name = name })) }
  }

  public func listServices() async throws -> [ServiceState] {
    try await translatingErrors { try await services.list(.init()).services.map(ServiceState.init) }
  }

  public func serviceLogs(named name: String, tailBytes: Int) async throws -> Data {
    try await translatingErrors {
      try await services.logs(
        .with {
          $0.name = name
          $0.tailBytes = UInt32(clamping: tailBytes)
        }
      ).data
    }
  }

  // MARK: Translation

  static func events(_ messages: RPCAsyncSequence<Cove_Agent_V1_ProcessEvent, any Error>) -> GuestStream<ProcessEvent> {
    GuestStream(messages, mapError: GuestError.init(translating:)) { ProcessEvent($0) }
  }
}

/// Runs a call, turning the transport's error into a ``GuestError``; what
/// the caller's own closures throw passes through unchanged.
private func translatingErrors<T>(_ call: () async throws -> T) async throws -> T {
  do {
    return try await call()
  } catch let error as RPCError {
    throw GuestError(error)
  }
}

extension GuestError {
  /// The agent's status as a guest error. A full disk is told apart from
  /// other exhausted resources by the errno the agent sends beside its
  /// status (`cove-errno`), not by the message.
  public init(_ error: RPCError) {
    let code: Code =
      switch error.code {
      case .notFound: .notFound
      case .alreadyExists: .alreadyExists
      case .invalidArgument: .invalidArgument
      case .outOfRange: .outOfRange
      case .permissionDenied: .permissionDenied
      case .failedPrecondition: .failedPrecondition
      case .resourceExhausted:
        error.metadata[stringValues: Self.errnoKey].contains { [ENOSPC, EDQUOT].contains(Int32($0)) }
          ? .noSpace : .resourceExhausted
      case .deadlineExceeded: .deadlineExceeded
      case .unavailable: .unavailable
      case .cancelled: .cancelled
      case .aborted: .aborted
      case .unimplemented: .unimplemented
      case .unauthenticated: .unauthenticated
      case .dataLoss: .dataLoss
      case .internalError: .internalError
      default: .unknown
      }
    self.init(code, error.message, cause: error)
  }

  /// Any error a stream's transport throws, as a guest error.
  init(translating error: any Error) {
    switch error {
    case let error as GuestError: self = error
    case let error as RPCError: self.init(error)
    default: self.init(.unknown, "\(error)", cause: error)
    }
  }

  /// The metadata key under which the agent sends the errno behind a status.
  public static let errnoKey = "cove-errno"
}

extension CallOptions {
  static func timeout(_ timeout: Duration?) -> CallOptions {
    var options = CallOptions.defaults
    options.timeout = timeout
    return options
  }
}

extension Cove_Agent_V1_StartRequest {
  init(_ spec: ProcessSpec) {
    self.init()
    argv = spec.argv
    env = spec.env
    cwd = spec.cwd ?? ""
    user = spec.user ?? ""
    if let timeout = spec.timeout {
      timeoutMs = UInt64(clamping: timeout.milliseconds)
    }
    if let terminal = spec.terminal { pty = .init(terminal) }
    tag = spec.tag ?? ""
    background = spec.background
    stdin = spec.stdin
  }
}

extension Cove_Agent_V1_PtySize {
  init(_ size: TerminalSize) {
    self.init()
    rows = size.rows
    cols = size.cols
  }
}

extension Cove_Agent_V1_ProcessSelector {
  static func selecting(_ pid: UInt32) -> Self { .with { $0.pid = pid } }
}

extension ProcessEvent {
  /// Nil for an event this host does not know.
  init?(_ event: Cove_Agent_V1_ProcessEvent) {
    switch event.event {
    case .started(let started): self = .started(pid: started.pid)
    case .stdout(let data): self = .stdout(data)
    case .stderr(let data): self = .stderr(data)
    case .exited(let exited):
      let status: ExitStatus =
        switch exited.status {
        case .code(let code): .exited(code)
        case .signal(let signal): .signaled(signal)
        // An exit without a status is a failure the agent could not name.
        case nil: .exited(1)
        }
      self = .exited(status, timedOut: exited.timedOut)
    case nil: return nil
    }
  }
}

extension FileInfo {
  init(_ info: Cove_Agent_V1_FileInfo) {
    let kind: Kind =
      switch info.type {
      case .regular: .regular
      case .directory: .directory
      case .symlink: .symlink
      default: .other
      }
    self.init(
      path: info.path, name: info.name, kind: kind, size: info.size, mode: info.mode, uid: info.uid, gid: info.gid,
      modified: Date(timeIntervalSince1970: Double(info.modifiedUnixNs) / 1e9),
      symlinkTarget: info.symlinkTarget.isEmpty ? nil : info.symlinkTarget)
  }
}

extension FileChange {
  init(_ event: Cove_Agent_V1_WatchEvent) {
    let kind: Kind =
      switch event.kind {
      case .create: .created
      case .write: .written
      case .remove: .removed
      case .rename: .renamed
      case .chmod: .attributes
      default: .other
      }
    self.init(kind: kind, path: event.path, isDirectory: event.isDirectory)
  }
}

extension Cove_Agent_V1_Hook {
  init(_ hook: GuestHook) {
    self =
      switch hook {
      case .ready: .ready
      case .validate: .validate
      case .run: .run
      case .suspend: .suspend
      case .resume: .resume
      case .terminate: .terminate
      }
  }
}

extension GuestHook {
  init?(_ hook: Cove_Agent_V1_Hook) {
    switch hook {
    case .ready: self = .ready
    case .validate: self = .validate
    case .run: self = .run
    case .suspend: self = .suspend
    case .resume: self = .resume
    case .terminate: self = .terminate
    case .unspecified, .UNRECOGNIZED: return nil
    }
  }
}

extension HookResult.Outcome {
  init(_ outcome: Cove_Agent_V1_HookOutcome) {
    self =
      switch outcome {
      case .done: .done
      case .notReady: .notReady
      case .alreadyDone: .alreadyDone
      case .refused: .refused
      case .failed, .unspecified, .UNRECOGNIZED: .failed
      }
  }
}

extension Cove_Agent_V1_HookCommand {
  init(_ command: HookCommand) {
    self.init()
    argv = command.argv
    env = command.env
    user = command.user ?? ""
    if let timeout = command.timeout { timeoutMs = UInt64(clamping: timeout.milliseconds) }
  }
}

extension Cove_Agent_V1_ServiceSpec {
  init(_ spec: ServiceSpec) {
    self.init()
    name = spec.name
    argv = spec.argv
    env = spec.env
    user = spec.user ?? ""
    group = spec.group ?? ""
    cwd = spec.cwd ?? ""
    restart =
      switch spec.restart {
      case .onFailure: .restartOnFailure
      case .always: .restartAlways
      case .never: .restartNever
      }
  }
}

extension ServiceState {
  init(_ status: Cove_Agent_V1_ServiceStatus) {
    let phase: Phase =
      switch status.state {
      case .running: .running
      case .backoff: .backoff
      default: .exited
      }
    self.init(
      name: status.name, phase: phase, pid: status.pid == 0 ? nil : status.pid, restarts: Int(status.restarts),
      lastExit: status.lastExit < 0 ? nil : status.lastExit, uid: status.uid, gid: status.gid)
  }
}

extension QEMUMachine {
  /// ``execute(_:output:)`` for a command given in the guest interface's terms.
  public func execute(
    _ spec: ProcessSpec, output: @escaping @Sendable (StandardStream, Data) -> Void
  ) async throws -> CommandExit {
    try await execute(Cove_Agent_V1_StartRequest(spec), output: output)
  }
}
