import CoveAPIContract
import Foundation
import HTTPTypes
import Hummingbird
import OpenAPIHummingbird
import OpenAPIRuntime

// The routes of openapi.yaml are the generated server's (`APIProtocol`,
// implemented by CoveAPI in CoveAPI+*.swift), registered on Hummingbird's
// router by swift-openapi-hummingbird. Three are Hummingbird routes instead,
// with the WebSocket: their answers stream from a guest call that lasts only
// as long as a closure runs (GuestAgent's `start`, `attach` and `read`),
// while a generated handler must return its body before it is written, so
// the call would need a task of its own outliving the handler.

extension CoveAPI {
  /// The generated server's JSON: compact, with slashes as they are.
  static let contractConfiguration = Configuration(jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes])

  /// Registers the generated server's operations on `router`, but for the
  /// ones written by hand (``ContractTransport/handWritten``).
  func addContractRoutes(to router: Router<CoveRequestContext>) throws {
    try registerHandlers(
      on: ContractTransport(
        json: router.group().add(middleware: BodyLimitMiddleware(limit: CoveRequestContext.jsonBodyLimit)),
        payload: router.group().add(middleware: BodyLimitMiddleware(limit: Self.hookPayloadLimit)),
        stream: router.group()),
      configuration: Self.contractConfiguration)
  }

  // The operations served by Hummingbird routes (see above); these are never
  // registered, so never called.

  public func execStream(_ input: Operations.ExecStream.Input) async throws -> Operations.ExecStream.Output {
    throw ContractTransport.servedByHand("execStream")
  }

  public func attachProcess(_ input: Operations.AttachProcess.Input) async throws -> Operations.AttachProcess.Output {
    throw ContractTransport.servedByHand("attachProcess")
  }

  public func downloadFile(_ input: Operations.DownloadFile.Input) async throws -> Operations.DownloadFile.Output {
    throw ContractTransport.servedByHand("downloadFile")
  }
}

/// Where each generated operation goes: JSON bodies are read whole, up to
/// 1 MiB (413 beyond); a hook's payload up to 4 MiB; an upload streams.
/// The streaming answers are Hummingbird routes and are skipped here.
struct ContractTransport: ServerTransport {
  let json: RouterGroup<CoveRequestContext>
  let payload: RouterGroup<CoveRequestContext>
  let stream: RouterGroup<CoveRequestContext>

  /// The operations written as Hummingbird routes, as "METHOD path".
  static let handWritten: Set<String> = [
    "POST /v1/sandboxes/{id}/exec/stream", "GET /v1/sandboxes/{id}/processes/{pid}/stream",
    "GET /v1/sandboxes/{id}/files",
  ]
  static let streamingBodies: Set<String> = ["PUT /v1/sandboxes/{id}/files"]
  static let payloadBodies: Set<String> = ["POST /v1/sandboxes/{id}/hooks/{hook}"]

  func register(
    _ handler:
      @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (
        HTTPResponse, HTTPBody?
      ),
    method: HTTPRequest.Method, path: String
  ) throws {
    let route = "\(method.rawValue) \(path)"
    if Self.handWritten.contains(route) { return }
    let group = Self.streamingBodies.contains(route) ? stream : Self.payloadBodies.contains(route) ? payload : json
    group.register(handler, method: method, path: path)
  }

  static func servedByHand(_ operation: String) -> APIError {
    APIError(.internalServerError, code: ._internal, "\(operation) is served by its own route")
  }
}

/// Reads a request's body whole, up to `limit` bytes: beyond, 413
/// `too_large` (Hummingbird's `NIOTooManyBytesError`, mapped by APIError).
struct BodyLimitMiddleware: RouterMiddleware {
  typealias Context = CoveRequestContext
  let limit: Int

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    var request = request
    _ = try await request.collectBody(upTo: limit)
    return try await next(request, context)
  }
}
