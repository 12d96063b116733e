import CoveMachine
import CoveSandbox
import Foundation
import Hummingbird
import Logging
import Prometheus

/// The HTTP API of `cove serve`: routes over a ``SandboxManager``.
public struct CoveAPI: Sendable {
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
    addServiceRoutes(to: router)
    addSandboxRoutes(to: router)
    addCommandRoutes(to: router)
    addProcessRoutes(to: router)
    addFileRoutes(to: router)
    addHookRoutes(to: router)
    // Last, so that it wraps only the answer for a path no route matched.
    router.add(
      middleware: MethodNotAllowedMiddleware(
        routes: router.routes.map { (path: $0.path.description, method: $0.method) }))
    return router
  }

  func addServiceRoutes(to router: Router<CoveRequestContext>) {
    router.get("/health") { _, _ -> HealthBody in
      let count = try await manager.list(state: .running).count
      return HealthBody(status: "ok", version: CoveVersion.current, sandboxes: count)
    }
    router.get("/metrics") { _, _ -> Response in
      var bytes: [UInt8] = []
      registry?.emit(into: &bytes)
      return Response(
        status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
    router.get("/openapi.yaml") { _, _ -> Response in
      Response(
        status: .ok, headers: [.contentType: "application/yaml"],
        body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
    }
  }

  /// The sandbox named by the route's `{id}`.
  static func sandboxID(_ context: CoveRequestContext) throws -> String {
    try context.parameters.require("id")
  }

  /// ``APIError/explaining(_:sandbox:during:manager:)`` with this API's manager.
  func explain(_ error: any Error, sandbox id: String, during operation: String) async -> APIError {
    await APIError.explaining(error, sandbox: id, during: operation, manager: manager)
  }
}

public enum CoveVersion {
  public static let current = "0.1.0"
}
