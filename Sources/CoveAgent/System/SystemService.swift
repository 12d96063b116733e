import CCoveSystem
import CoveAgentProto
import GRPCCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The System service: health, capabilities, metrics, and the settings the
/// host pushes into a guest (environment, clock, entropy, hostname).
public struct SystemService: Cove_Agent_V1_System.SimpleServiceProtocol {
  public static let version = "0.1.0"

  let supervisor: ProcessSupervisor
  let initMode: Bool
  let startedAt = monotonicMilliseconds()
  let onShutdown: @Sendable (_ reboot: Bool) -> Void

  public init(supervisor: ProcessSupervisor, initMode: Bool, onShutdown: @escaping @Sendable (Bool) -> Void) {
    self.supervisor = supervisor
    self.initMode = initMode
    self.onShutdown = onShutdown
  }

  public func health(request: Cove_Agent_V1_HealthRequest, context: ServerContext) async throws
    -> Cove_Agent_V1_HealthResponse
  {
    .with {
      $0.version = Self.version
      $0.uptimeMs = monotonicMilliseconds() - startedAt
      $0.initMode = initMode
    }
  }

  public func capabilities(request: Cove_Agent_V1_CapabilitiesRequest, context: ServerContext) async throws
    -> Cove_Agent_V1_CapabilitiesResponse
  {
    .with {
      $0.services = [
        "cove.agent.v1.Process", "cove.agent.v1.Files", "cove.agent.v1.System", "cove.agent.v1.Lifecycle",
        "cove.agent.v1.Services",
      ]
      $0.pty = access("/dev/ptmx", R_OK | W_OK) == 0
      $0.vsock = access("/dev/vsock", F_OK) == 0
      $0.maxProcesses = UInt32(supervisor.limits.maxProcesses)
      $0.maxMessageBytes = UInt32(supervisor.limits.maxMessageBytes)
    }
  }

  public func metrics(request: Cove_Agent_V1_MetricsRequest, context: ServerContext) async throws
    -> Cove_Agent_V1_MetricsResponse
  {
    try await mappingErrors {
      let disk = request.diskPath.isEmpty ? "/" : request.diskPath
      var fs = statvfs()
      try retrying("statfs", disk) { statvfs(disk, &fs) }
      var response = GuestMetrics.read()
      response.diskTotalBytes = UInt64(fs.f_blocks) * UInt64(fs.f_frsize)
      response.diskFreeBytes = UInt64(fs.f_bavail) * UInt64(fs.f_frsize)
      response.processCount = UInt32(supervisor.count)
      return response
    }
  }

  public func setEnvironment(request: Cove_Agent_V1_SetEnvironmentRequest, context: ServerContext) async throws
    -> Cove_Agent_V1_SetEnvironmentResponse
  {
    try await mappingErrors {
      for key in request.env.keys where key.isEmpty || key.utf8.contains(UInt8(ascii: "=")) || key.utf8.contains(0) {
        throw AgentError(.invalidArgument, "invalid environment variable name: \"\(key)\"")
      }
      for value in request.env.values where value.utf8.contains(0) {
        throw AgentError(.invalidArgument, "environment values must not contain NUL bytes")
      }
      supervisor.setDefaultEnvironment(request.env)
      return .init()
    }
  }

  public func setClock(request: Cove_Agent_V1_SetClockRequest, context: ServerContext) async throws
    -> Cove_Agent_V1_SetClockResponse
  {
    try await mappingErrors {
      guard request.unixNs > 0 else { throw AgentError(.invalidArgument, "the time must be after 1970") }
      try check("set", "the clock", cove_set_clock(request.unixNs))
      return .init()
    }
  }

  public func addEntropy(request: Cove_Agent_V1_AddEntropyRequest, context: ServerContext) async throws
    -> Cove_Agent_V1_AddEntropyResponse
  {
    try await mappingErrors {
      guard (1...4096).contains(request.data.count) else {
        throw AgentError(.invalidArgument, "entropy must be 1 to 4096 bytes")
      }
      let err = request.data.withUnsafeBytes { cove_add_entropy($0.baseAddress, $0.count) }
      try check("add", "entropy", err)
      return .init()
    }
  }

  public func setHostname(request: Cove_Agent_V1_SetHostnameRequest, context: ServerContext) async throws
    -> Cove_Agent_V1_SetHostnameResponse
  {
    try await mappingErrors {
      let name = request.hostname
      let valid =
        (1...64).contains(name.utf8.count)
        && name.utf8.allSatisfy {
          $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || (48...57).contains($0) || (65...90).contains($0)
            || (97...122).contains($0)
        }
      guard valid else {
        throw AgentError(.invalidArgument, "a hostname is 1 to 64 letters, digits, dots and hyphens")
      }
      try check("set", "the hostname", cove_set_hostname(name, name.utf8.count))
      return .init()
    }
  }

  public func shutdown(request: Cove_Agent_V1_ShutdownRequest, context: ServerContext) async throws
    -> Cove_Agent_V1_ShutdownResponse
  {
    onShutdown(request.reboot)
    return .init()
  }
}
