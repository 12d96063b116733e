import CoveAgentProto
import Logging
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The guest's supervised services, by name.
final class ServiceManager: Sendable {
  static let defaultLogDirectory = "/var/log/cove"
  /// Logs returns this much of the end of a log unless asked otherwise...
  static let defaultTailBytes = 64 << 10
  /// ...and never more than this.
  static let maxTailBytes = 1 << 20

  private struct State {
    var services: [String: SupervisedService] = [:]
    /// Names whose first start is under way.
    var starting: Set<String> = []
  }

  private let state = Mutex(State())
  let supervisor: ProcessSupervisor
  let logDirectory: String
  let logger: Logger

  init(supervisor: ProcessSupervisor, logDirectory: String, logger: Logger) {
    self.supervisor = supervisor
    self.logDirectory = logDirectory
    self.logger = logger
  }

  /// Starts a service. Fails, and leaves nothing behind, when its first
  /// process cannot be started; a program that cannot be executed does
  /// start (and exits 127, its reason in the log).
  func start(_ spec: Cove_Agent_V1_ServiceSpec) async throws(AgentError) -> Cove_Agent_V1_ServiceStatus {
    let definition = try ServiceDefinition(spec)
    let name = definition.name
    try state.withLock { s throws(AgentError) in
      guard s.services[name] == nil, !s.starting.contains(name) else {
        throw AgentError(.alreadyExists, "a service named \"\(name)\" is defined; stop it first")
      }
      s.starting.insert(name)
    }
    defer { state.withLock { _ = $0.starting.remove(name) } }
    var log = try ServiceLog(directory: logDirectory, name: name)
    let service = SupervisedService(definition, logPath: log.path, supervisor: supervisor, logger: logger)
    let first: SupervisedService.Launch
    do {
      first = try await service.launch()
    } catch {
      log.finish()
      throw error
    }
    service.watch(first, log: log)
    state.withLock { $0.services[name] = service }
    logger.info(
      "service started",
      metadata: ["service": "\(name)", "pid": "\(first.process.pid)", "uid": "\(definition.identity.uid)"])
    return service.status
  }

  /// Stops a service and forgets it. Its log stays.
  func stop(_ name: String) async throws(AgentError) -> Cove_Agent_V1_ServiceStatus {
    let service = try find(name)
    let status = await service.stop()
    state.withLock { s in
      if s.services[name] === service { s.services[name] = nil }
    }
    logger.info("service stopped", metadata: ["service": "\(name)", "exit": "\(status.lastExit)"])
    return status
  }

  var list: [Cove_Agent_V1_ServiceStatus] {
    state.withLock { Array($0.services.values) }.map(\.status).sorted { $0.name < $1.name }
  }

  /// The end of a service's log. A stopped service's log can still be read.
  func logs(_ name: String, tailBytes: UInt32) throws(AgentError) -> [UInt8] {
    guard ServiceDefinition.isValidName(name) else {
      throw AgentError(.invalidArgument, "\"\(name)\" is not a service name")
    }
    let count = tailBytes == 0 ? Self.defaultTailBytes : min(Int(tailBytes), Self.maxTailBytes)
    let path = state.withLock { $0.services[name]?.logPath } ?? "\(logDirectory)/\(name).log"
    var st = stat()
    guard stat(path, &st) == 0 else { throw AgentError(.notFound, "no service named \"\(name)\" and no log of one") }
    return ServiceLog.tail(path, count: count)
  }

  private func find(_ name: String) throws(AgentError) -> SupervisedService {
    guard let service = state.withLock({ $0.services[name] }) else {
      throw AgentError(.notFound, "no service named \"\(name)\"")
    }
    return service
  }
}
