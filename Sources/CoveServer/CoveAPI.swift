import CoveAPIContract
import CoveMachine
import CoveSandbox
import Foundation
import Hummingbird
import Logging
import OpenAPIRuntime
import Prometheus

/// The HTTP API of `cove serve`: openapi.yaml's operations (the generated
/// `APIProtocol`) over a ``SandboxManager``.
public struct CoveAPI: APIProtocol {
  public let manager: SandboxManager
  public let keys: APIKeys
  let registry: PrometheusCollectorRegistry?

  public init(manager: SandboxManager, registry: PrometheusCollectorRegistry?) {
    self.manager = manager
    self.keys = APIKeys(store: manager.store)
    self.registry = registry
  }

  /// The router with every route, behind the error, metrics and auth middleware.
  public func router() -> Router<CoveRequestContext> {
    let router = Router(context: CoveRequestContext.self)
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: ErrorMiddleware(manager: manager))
    if registry != nil { router.add(middleware: MetricsMiddleware()) }
    router.add(middleware: AuthMiddleware(keys: keys))
    do {
      try addContractRoutes(to: router)
    } catch {
      // Registering fails only for a server URL the document does not
      // have; the generated code and the document come from one file.
      preconditionFailure("the generated routes could not be registered: \(error)")
    }
    addCommandRoutes(to: router)
    addProcessRoutes(to: router)
    addFileRoutes(to: router)
    // Last, so that it wraps only the answer for a path no route matched.
    router.add(
      middleware: MethodNotAllowedMiddleware(
        routes: router.routes.map { (path: $0.path.description, method: $0.method) }))
    return router
  }

  public func health(_ input: Operations.Health.Input) async throws -> Operations.Health.Output {
    let count = try await manager.list(state: .running).count
    return .ok(.init(body: .json(.init(status: "ok", version: CoveVersion.current, sandboxes: count))))
  }

  public func metrics(_ input: Operations.Metrics.Input) async throws -> Operations.Metrics.Output {
    var bytes: [UInt8] = []
    registry?.emit(into: &bytes)
    return .ok(.init(body: .plainText(HTTPBody(bytes))))
  }

  public func openAPIDocument(_ input: Operations.OpenAPIDocument.Input) async throws
    -> Operations.OpenAPIDocument.Output
  {
    .ok(.init(body: .yaml(HTTPBody(OpenAPIDocument.yaml))))
  }

  /// ``APIError/explaining(_:sandbox:during:manager:)`` with this API's manager.
  func explain(_ error: any Error, sandbox id: String, during operation: String) async -> APIError {
    await APIError.explaining(error, sandbox: id, during: operation, manager: manager)
  }
}

extension CoveAPI {
  /// The sandbox named by a Hummingbird route's `{id}`.
  static func sandboxID(_ context: CoveRequestContext) throws -> String {
    try context.parameters.require("id")
  }
}

public enum CoveVersion {
  public static let current = "0.1.0"
}
