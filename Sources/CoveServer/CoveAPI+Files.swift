import CoveAgentProto
import Foundation
import GRPCCore
import Hummingbird
import Synchronization

extension CoveAPI {
  /// Bytes per message into the agent (under its 4 MiB message limit).
  static let uploadChunk = 1 << 20

  func addFileRoutes(to router: Router<CoveRequestContext>) {
    let files = router.group("/v1/sandboxes/{id}/files")
    // Download: the file's bytes, streamed as the agent reads them.
    files.get { request, context -> Response in
      let path = try Self.path(request)
      let agent = try await manager.agent(Self.sandboxID(context), for: "reading files")
      let info = try await agent.files.stat(.with { $0.path = path }).info
      guard info.type != .directory else {
        throw APIError(.badRequest, code: "is_directory", "\(path) is a directory")
      }
      return Response(
        status: .ok, headers: [.contentType: "application/octet-stream"],
        body: ResponseBody { writer in
          let output = WriterBox(writer)
          try await agent.files.read(.with { $0.path = path }) { response in
            for try await chunk in response.messages { try await output.write(ByteBuffer(data: chunk.data)) }
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
      let agent = try await manager.agent(Self.sandboxID(context), for: "writing files")
      let body = request.body
      let upload = UploadProgress()
      do {
        _ = try await agent.files.write(requestProducer: { writer in
          try await writer.write(
            .with {
              $0.header = .with {
                $0.path = path
                $0.mode = fileMode
                $0.createParents = parents
              }
            })
          var pending = Data()
          var chunks = body.makeAsyncIterator()
          while true {
            // Only the body's own errors mean the upload was cut.
            let next: ByteBuffer?
            do { next = try await chunks.next() } catch { throw upload.cut(by: error) }
            guard let buffer = next else { break }
            upload.add(buffer.readableBytes)
            pending.append(contentsOf: buffer.readableBytesView)
            while pending.count >= Self.uploadChunk {
              try await writer.write(.with { $0.data = pending.prefix(Self.uploadChunk) })
              pending.removeFirst(Self.uploadChunk)
            }
          }
          if let declared, upload.received < declared { throw upload.cut(by: nil) }
          if !pending.isEmpty { try await writer.write(.with { $0.data = pending }) }
          try await writer.write(.with { $0.finish = true })
        })
      } catch {
        // Nothing was written (the write is atomic); say why in the client's terms.
        if let cut = upload.cutError(declared: declared) { throw cut }
        throw error
      }
      return FileInfoBody(try await agent.files.stat(.with { $0.path = path }).info)
    }
    files.delete { request, context -> HTTPResponse.Status in
      let path = try Self.path(request)
      let recursive = try QueryParameters(request).flag("recursive")
      let agent = try await manager.agent(Self.sandboxID(context), for: "removing files")
      _ = try await agent.files.remove(
        .with {
          $0.path = path
          $0.recursive = recursive
        })
      return .noContent
    }
    files.get("stat") { request, context -> FileInfoBody in
      let path = try Self.path(request)
      let agent = try await manager.agent(Self.sandboxID(context), for: "reading files")
      return FileInfoBody(try await agent.files.stat(.with { $0.path = path }).info)
    }
    files.get("list") { request, context -> FileListBody in
      let path = try Self.path(request)
      let depth = UInt32(try QueryParameters(request).integer("depth", in: 1...16, default: 1))
      let agent = try await manager.agent(Self.sandboxID(context), for: "listing files")
      let list = try await agent.files.list(
        .with {
          $0.path = path
          $0.depth = depth
        })
      return FileListBody(entries: list.entries.map(FileInfoBody.init))
    }
    files.post("mkdir") { request, context -> EditedResponse<FileInfoBody> in
      let body = try await request.decode(as: MakeDirectoryBody.self, context: context)
      try Self.checkPath(body.path)
      if let mode = body.mode, mode > 0o7777 {
        throw APIError.badRequest("mode must be permission bits from 0 to 0o7777 (4095), such as 493 for 0o755")
      }
      let agent = try await manager.agent(Self.sandboxID(context), for: "making directories")
      _ = try await agent.files.makeDirectory(
        .with {
          $0.path = body.path
          $0.parents = body.parents ?? false
          $0.mode = body.mode ?? 0o755
        })
      return EditedResponse(
        status: .created, response: FileInfoBody(try await agent.files.stat(.with { $0.path = body.path }).info))
    }
    files.post("rename") { request, context -> FileInfoBody in
      let body = try await request.decode(as: RenameBody.self, context: context)
      try Self.checkPath(body.from)
      try Self.checkPath(body.to)
      let agent = try await manager.agent(Self.sandboxID(context), for: "renaming files")
      _ = try await agent.files.rename(
        .with {
          $0.from = body.from
          $0.to = body.to
        })
      return FileInfoBody(try await agent.files.stat(.with { $0.path = body.to }).info)
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
    guard !path.contains("\0"), path.utf8.count <= 4096 else { throw APIError.badRequest("invalid path") }
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
