import CoveAgentProto
import Foundation
import GRPCCore
import Hummingbird

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
      let query = request.uri.queryParameters
      var mode: UInt32 = 0o644
      if let text = query["mode"] {
        guard let parsed = UInt32(text, radix: 8), parsed <= 0o7777 else {
          throw APIError.badRequest("mode must be octal, such as 644")
        }
        mode = parsed
      }
      let fileMode = mode
      let parents = query["parents"].map { $0 == "true" || $0 == "1" } ?? false
      let agent = try await manager.agent(Self.sandboxID(context), for: "writing files")
      let body = request.body
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
        for try await buffer in body {
          pending.append(contentsOf: buffer.readableBytesView)
          while pending.count >= Self.uploadChunk {
            try await writer.write(.with { $0.data = pending.prefix(Self.uploadChunk) })
            pending.removeFirst(Self.uploadChunk)
          }
        }
        if !pending.isEmpty { try await writer.write(.with { $0.data = pending }) }
        try await writer.write(.with { $0.finish = true })
      })
      return FileInfoBody(try await agent.files.stat(.with { $0.path = path }).info)
    }
    files.delete { request, context -> HTTPResponse.Status in
      let path = try Self.path(request)
      let recursive = request.uri.queryParameters["recursive"].map { $0 == "true" || $0 == "1" } ?? false
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
      let depth = request.uri.queryParameters["depth"].flatMap { UInt32($0) } ?? 1
      guard (1...16).contains(depth) else { throw APIError.badRequest("depth must be 1 to 16") }
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
