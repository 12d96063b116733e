import CoveSandbox
import Foundation
import Testing

@testable import CoveServer

/// The OpenAPI document and the router agree.
struct OpenAPITests {
  @Test("openapi.yaml names exactly the routes the routers have, with their methods, the WebSocket route too")
  func documentMatchesRoutes() async throws {
    let data = "/tmp/cove-openapi-\(UUID().uuidString.prefix(6))"
    try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: data) }
    let manager = SandboxManager(
      store: try SandboxStore(path: data + "/cove.sqlite"), assets: .init(home: .init(root: data)),
      configuration: ManagerConfiguration(runDirectory: data + "/run", templateDirectory: data + "/templates"),
      logger: .init(label: "test"))
    // The WebSocket route has its own router, for upgrades; the document has both.
    let api = CoveAPI(manager: manager, registry: nil)
    let routes = Set(
      (api.router().routes + api.webSocketRouter().routes).map { route in
        "\(route.method.rawValue) \(normalized(route.path.description))"
      })
    #expect(routes == Self.documented(OpenAPIDocument.yaml))
    #expect(routes.count >= 20)
  }

  @Test("the served document is openapi.yaml as committed (scripts/generate-openapi was run)")
  func servedDocumentIsTheFile() throws {
    let file = try String(contentsOfFile: TestDaemon.packageRoot + "/openapi.yaml", encoding: .utf8)
    #expect(OpenAPIDocument.yaml + "\n" == file, "openapi.yaml changed: run scripts/generate-openapi")
  }

  @Test("a path the API has with other methods is told apart from an unknown path, for 405")
  func methodNotAllowed() {
    let middleware = MethodNotAllowedMiddleware<CoveRequestContext>(routes: [
      (path: "/v1/sandboxes", method: .get), (path: "/v1/sandboxes", method: .post),
      (path: "/v1/sandboxes/:id", method: .delete), (path: "/v1/sandboxes/{id}/exec", method: .post),
    ])
    #expect(middleware.allowedMethods(path: "/v1/sandboxes") == ["GET", "POST"])
    #expect(middleware.allowedMethods(path: "/v1/sandboxes/sb-1") == ["DELETE"])
    #expect(middleware.allowedMethods(path: "/v1/sandboxes/sb-1/exec") == ["POST"])
    #expect(middleware.allowedMethods(path: "/v1/sandboxes/sb-1/nope").isEmpty)
    #expect(middleware.allowedMethods(path: "/v2/sandboxes").isEmpty)
  }

  /// "METHOD /path" for each operation in the document's `paths`.
  static func documented(_ yaml: String) -> Set<String> {
    var operations: Set<String> = []
    var path: String?
    var inPaths = false
    for line in yaml.split(separator: "\n") {
      if line == "paths:" {
        inPaths = true
      } else if inPaths, line.hasPrefix("  /"), line.hasSuffix(":") {
        path = String(line.dropFirst(2).dropLast())
      } else if inPaths, let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
        let method = line.trimmingCharacters(in: .whitespaces).dropLast()
        if ["get", "put", "post", "delete", "patch"].contains(method) {
          operations.insert("\(method.uppercased()) \(normalized(path))")
        }
      }
    }
    return operations
  }
}

/// A route path without parameter markers (`:id`, `{id}` → `id`), with a leading slash.
func normalized(_ path: String) -> String {
  let bare = path.filter { !":{}".contains($0) }
  return bare.hasPrefix("/") ? bare : "/" + bare
}
