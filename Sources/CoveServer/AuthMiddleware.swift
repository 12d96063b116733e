import CoveSandbox
import Hummingbird

/// Every route but `/health` needs `Authorization: Bearer <key>` with a key
/// made by `cove keys create`.
struct AuthMiddleware: RouterMiddleware {
  typealias Context = CoveRequestContext
  let keys: APIKeys
  static let open: Set<String> = ["/health"]

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    if Self.open.contains(request.uri.path) { return try await next(request, context) }
    guard let header = request.headers[.authorization] else {
      throw unauthorized("an API key is required: Authorization: Bearer <key> (make one with `cove keys create`)")
    }
    let parts = header.split(separator: " ", maxSplits: 1)
    guard parts.count == 2, parts[0].lowercased() == "bearer" else {
      throw unauthorized("the Authorization header must be: Bearer <key>")
    }
    guard let record = try await keys.verify(String(parts[1])) else { throw unauthorized("the API key is not valid") }
    var context = context
    context.keyID = record.id
    return try await next(request, context)
  }

  func unauthorized(_ message: String) -> APIError {
    var error = APIError(.unauthorized, code: .unauthorized, message)
    error.headers[.wwwAuthenticate] = "Bearer"
    return error
  }
}
