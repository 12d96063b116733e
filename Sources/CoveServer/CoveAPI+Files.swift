import CoveMachine
import CoveRules
import Foundation
import Hummingbird
import Synchronization

extension CoveAPI {
  func addFileRoutes(to router: Router<CoveRequestContext>) {
    let files = router.group("/v1/sandboxes/{id}/files")
    // Download: the file's bytes, streamed as the agent reads them.
    files.get { request, context -> Response in
      let path = try Self.path(request)
      let guest = try await manager.guest(Self.sandboxID(context), for: "reading files")
      guard try await guest.stat(path).kind != .directory else {
        throw APIError(.badRequest, code: "is_directory", "\(path) is a directory")
      }
      return Response(
        status: .ok, headers: [.contentType: "application/octet-stream"],
        body: ResponseBody { writer in
          let output = WriterBox(writer)
          try await guest.read(path) { chunks in
            for try await chunk in chunks { try await output.write(ByteBuffer(data: chunk)) }
          }
          try await output.finish()
        })
    }
    // Upload: the request body, streamed into an atomic write (a temporary
    // file renamed into place at the end, so a broken upload changes nothing).
    files.put { request, context -> FileInfoBody in
      let path = try Self.path(request)
      let query = QueryParameters(request)
      let fileMode = try query.mode("mode", default: 0o644)
      let parents = try query.flag("parents")
      let declared = try request.headers[.contentLength].map { text in
        guard let length = Int(text), length >= 0 else { throw APIError.badRequest("Content-Length is not valid") }
        return length
      }
      let guest = try await manager.guest(Self.sandboxID(context), for: "writing files")
      let body = request.body
      let upload = UploadProgress()
      do {
        try await guest.write(path, mode: fileMode, createParents: parents) { file in
          var chunks = body.makeAsyncIterator()
          while true {
            // Only the body's own errors mean the upload was cut.
            let next: ByteBuffer?
            do { next = try await chunks.next() } catch { throw upload.cut(by: error) }
            guard let buffer = next else { break }
            upload.add(buffer.readableBytes)
            try await file.write(buffer.readableBytesView)
          }
          // Throwing before the end leaves the file as it was.
          if let declared, upload.received < declared { throw upload.cut(by: nil) }
        }
      } catch {
        // Nothing was written (the write is atomic); say why in the client's terms.
        if let cut = upload.cutError(declared: declared) { throw cut }
        throw error
      }
      return FileInfoBody(try await guest.stat(path))
    }
    files.delete { request, context -> HTTPResponse.Status in
      let path = try Self.path(request)
      let recursive = try QueryParameters(request).flag("recursive")
      try await manager.guest(Self.sandboxID(context), for: "removing files").remove(path, recursive: recursive)
      return .noContent
    }
    files.get("stat") { request, context -> FileInfoBody in
      let path = try Self.path(request)
      return FileInfoBody(try await manager.guest(Self.sandboxID(context), for: "reading files").stat(path))
    }
    files.get("list") { request, context -> FileListBody in
      let path = try Self.path(request)
      let depth = try QueryParameters(request).integer("depth", in: 1...16, default: 1)
      let guest = try await manager.guest(Self.sandboxID(context), for: "listing files")
      return FileListBody(entries: try await guest.list(path, depth: depth).map(FileInfoBody.init))
    }
    files.post("mkdir") { request, context -> EditedResponse<FileInfoBody> in
      let body = try await request.decode(as: MakeDirectoryBody.self, context: context)
      try Self.checkPath(body.path)
      if let mode = body.mode, mode > 0o7777 {
        throw APIError.badRequest("mode must be permission bits from 0 to 0o7777 (4095), such as 493 for 0o755")
      }
      let guest = try await manager.guest(Self.sandboxID(context), for: "making directories")
      try await guest.makeDirectory(body.path, mode: body.mode ?? 0o755, parents: body.parents ?? false)
      return EditedResponse(status: .created, response: FileInfoBody(try await guest.stat(body.path)))
    }
    files.post("rename") { request, context -> FileInfoBody in
      let body = try await request.decode(as: RenameBody.self, context: context)
      try Self.checkPath(body.from)
      try Self.checkPath(body.to)
      let guest = try await manager.guest(Self.sandboxID(context), for: "renaming files")
      try await guest.move(body.from, to: body.to)
      return FileInfoBody(try await guest.stat(body.to))
    }
  }

  /// The `path` query parameter: required, absolute.
  static func path(_ request: Request) throws -> String {
    guard let path = request.uri.queryParameters["path"] else {
      throw APIError.badRequest("the path parameter is required")
    }
    try checkPath(String(path))
    return String(path)
  }

  static func checkPath(_ path: String) throws {
    guard path.hasPrefix("/") else { throw APIError.badRequest("paths must be absolute: \(path)") }
    guard !path.contains("\0") else { throw APIError.badRequest("paths must not contain NUL bytes") }
    guard path.utf8.count <= GuestLimits.maxPathBytes else {
      throw APIError.badRequest("paths must be at most \(GuestLimits.maxPathBytes) bytes")
    }
  }
}

/// How much of an upload's body arrived, and whether it was cut short: a
/// body that ends before its Content-Length, or breaks (the client closed
/// or half-closed its side), is the client's 400, not the agent's failure.
final class UploadProgress: Sendable {
  private struct State {
    var received = 0
    var cut = false
    var cause: String?
  }
  private let state = Mutex(State())

  /// Marks the body's end or error, as opposed to the agent call's.
  struct BodyError: Error {}

  func add(_ count: Int) { state.withLock { $0.received += count } }
  var received: Int { state.withLock { $0.received } }

  func cut(by error: (any Error)?) -> BodyError {
    state.withLock {
      $0.cut = true
      $0.cause = error.map { "\($0)" }
    }
    return BodyError()
  }

  func cutError(declared: Int?) -> APIError? {
    let state = self.state.withLock { $0 }
    guard state.cut else { return nil }
    let expected = declared.map { " of the \($0) declared" } ?? ""
    let what = state.cause == nil ? "ended before its declared length" : "was cut"
    return APIError(
      .badRequest, code: "upload_cut",
      "the upload \(what): \(state.received) bytes arrived\(expected); nothing was written")
  }
}
