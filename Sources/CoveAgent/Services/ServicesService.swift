import CoveAgentProto
import GRPCCore

// Data only: FoundationEssentials keeps ICU and CoreFoundation out of the agent.
#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// The Services service: supervised long-running processes and their logs.
public struct ServicesService: Cove_Agent_V1_Services.SimpleServiceProtocol {
  let manager: ServiceManager

  init(manager: ServiceManager) { self.manager = manager }

  public func start(request: Cove_Agent_V1_ServiceSpec, context: ServerContext) async throws
    -> Cove_Agent_V1_ServiceStatus
  {
    try await mappingErrors { try await manager.start(request) }
  }

  public func stop(request: Cove_Agent_V1_ServiceName, context: ServerContext) async throws
    -> Cove_Agent_V1_ServiceStatus
  {
    try await mappingErrors { try await manager.stop(request.name) }
  }

  public func list(request: Cove_Agent_V1_ListServicesRequest, context: ServerContext) async throws
    -> Cove_Agent_V1_ListServicesResponse
  {
    .with { $0.services = manager.list }
  }

  public func logs(request: Cove_Agent_V1_ServiceLogsRequest, context: ServerContext) async throws
    -> Cove_Agent_V1_ServiceLogsResponse
  {
    try await mappingErrors {
      let data = try manager.logs(request.name, tailBytes: request.tailBytes)
      return .with { $0.data = Data(data) }
    }
  }
}
