import Hummingbird

/// Answers 405 method_not_allowed, with `Allow`, for a path the API has with
/// other methods; Hummingbird's router answers 404 for both an unknown path
/// and an unknown method. Added after every route, so it wraps only the
/// router's not-found answer.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
  /// Each route's path, split into segments (nil for a parameter), and its method.
  let routes: [(segments: [Substring?], method: HTTPRequest.Method)]

  init(routes: [(path: String, method: HTTPRequest.Method)]) {
    self.routes = routes.map { route in
      let segments = route.path.split(separator: "/").map { segment -> Substring? in
        segment.hasPrefix(":") || segment.hasPrefix("{") ? nil : segment
      }
      return (segments, route.method)
    }
  }

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    do {
      return try await next(request, context)
    } catch let error as HTTPError where error.status == .notFound {
      let allowed = allowedMethods(path: request.uri.path)
      guard !allowed.isEmpty else { throw error }
      var refusal = APIError(
        .methodNotAllowed, code: .methodNotAllowed,
        "\(request.method.rawValue) is not allowed on this path (allowed: \(allowed.joined(separator: ", ")))")
      refusal.headers[.allow] = allowed.joined(separator: ", ")
      throw refusal
    }
  }

  /// The methods of the routes whose path matches, in a stable order.
  func allowedMethods(path: String) -> [String] {
    let parts = path.split(separator: "/")
    let methods = routes.filter { route in
      route.segments.count == parts.count
        && zip(route.segments, parts).allSatisfy { pattern, part in pattern == nil || pattern == part }
    }.map(\.method.rawValue)
    return Set(methods).sorted()
  }
}
