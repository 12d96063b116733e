import CoveAPIContract
import CoveMachine
import CoveRules
import Foundation
import Hummingbird
import OpenAPIRuntime
import Synchronization

extension CoveAPI {
  /// Upload: the request body, streamed into an atomic write (a temporary
  /// file renamed into place at the end, so a broken upload changes nothing).
  public func uploadFile(_ input: Operations.UploadFile.Input) async throws -> Operations.UploadFile.Output {
    let path = try Self.checkPath(input.query.path)
    let fileMode = try input.query.mode.map(Self.mode) ?? 0o644
    guard case .binary(let body) = input.body else { throw APIError.badRequest("the body must be the file's bytes") }
    let declared: Int? =
      switch body.length {
      case .known(let length): Int(length)
      case .unknown: nil
      }
    let guest = try await manager.guest(input.path.id, for: "writing files")
    let upload = UploadProgress()
    do {
      try await guest.write(path, mode: fileMode, createParents: input.query.parents ?? false) { file in
        var chunks = body.makeAsyncIterator()
        while true {
          // Only the body's own errors mean the upload was cut.
          let next: ArraySlice<UInt8>?
          do { next = try await chunks.next() } catch { throw upload.cut(by: error) }
          guard let chunk = next else { break }
          upload.add(chunk.count)
          try await file.write(chunk)
        }
        // Throwing before the end leaves the file as it was.
        if let declared, upload.received < declared { throw upload.cut(by: nil) }
      }
    } catch {
      // Nothing was written (the write is atomic); say why in the client's terms.
      if let cut = upload.cutError(declared: declared) { throw cut }
      throw error
    }
    return .ok(.init(body: .json(Schemas.FileInfo(try await guest.stat(path)))))
  }

  public func removeFile(_ input: Operations.RemoveFile.Input) async throws -> Operations.RemoveFile.Output {
    let path = try Self.checkPath(input.query.path)
    let guest = try await manager.guest(input.path.id, for: "removing files")
    try await guest.remove(path, recursive: input.query.recursive ?? false)
    return .noContent(.init())
  }

  public func statFile(_ input: Operations.StatFile.Input) async throws -> Operations.StatFile.Output {
    let path = try Self.checkPath(input.query.path)
    let guest = try await manager.guest(input.path.id, for: "reading files")
    return .ok(.init(body: .json(Schemas.FileInfo(try await guest.stat(path)))))
  }

  public func listFiles(_ input: Operations.ListFiles.Input) async throws -> Operations.ListFiles.Output {
    let path = try Self.checkPath(input.query.path)
    let depth = input.query.depth ?? 1
    guard (1...16).contains(depth) else { throw APIError.badRequest("depth must be a whole number from 1 to 16") }
    let guest = try await manager.guest(input.path.id, for: "listing files")
    let entries = try await guest.list(path, depth: depth).map(Schemas.FileInfo.init)
    return .ok(.init(body: .json(.init(entries: entries))))
  }

  public func makeDirectory(_ input: Operations.MakeDirectory.Input) async throws -> Operations.MakeDirectory.Output {
    guard case .json(let body) = input.body else { throw APIError.badRequest("the body must be JSON") }
    let path = try Self.checkPath(body.path)
    let mode = try body.mode.map { mode throws(APIError) in
      guard let bits = UInt32(exactly: mode), bits <= 0o7777 else {
        throw .badRequest("mode must be permission bits from 0 to 0o7777 (4095), such as 493 for 0o755")
      }
      return bits
    }
    let guest = try await manager.guest(input.path.id, for: "making directories")
    try await guest.makeDirectory(path, mode: mode ?? 0o755, parents: body.parents ?? false)
    return .created(.init(body: .json(Schemas.FileInfo(try await guest.stat(path)))))
  }

  public func renameFile(_ input: Operations.RenameFile.Input) async throws -> Operations.RenameFile.Output {
    guard case .json(let body) = input.body else { throw APIError.badRequest("the body must be JSON") }
    let from = try Self.checkPath(body.from)
    let to = try Self.checkPath(body.to)
    let guest = try await manager.guest(input.path.id, for: "renaming files")
    try await guest.move(from, to: to)
    return .ok(.init(body: .json(Schemas.FileInfo(try await guest.stat(to)))))
  }

  /// `downloadFile` (a Hummingbird route: see CoveAPI+Contract.swift): the
  /// file's bytes, streamed as the agent reads them.
  func addFileRoutes(to router: Router<CoveRequestContext>) {
    router.get("/v1/sandboxes/{id}/files") { request, context -> Response in
      guard let query = request.uri.queryParameters["path"] else {
        throw APIError.badRequest("the path parameter is required")
      }
      let path = try Self.checkPath(String(query))
      let guest = try await manager.guest(Self.sandboxID(context), for: "reading files")
      guard try await guest.stat(path).kind != .directory else {
        throw APIError(.badRequest, code: .isDirectory, "\(path) is a directory")
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
  }

  /// A path as the guest takes it: absolute, without NUL, at most the
  /// shared byte limit. Returns it.
  @discardableResult
  static func checkPath(_ path: String) throws(APIError) -> String {
    guard path.hasPrefix("/") else { throw .badRequest("paths must be absolute: \(path)") }
    guard !path.contains("\0") else { throw .badRequest("paths must not contain NUL bytes") }
    guard path.utf8.count <= GuestLimits.maxPathBytes else {
      throw .badRequest("paths must be at most \(GuestLimits.maxPathBytes) bytes")
    }
    return path
  }

  /// File permission bits written in octal, 0 to 7777.
  static func mode(_ text: String) throws(APIError) -> UInt32 {
    guard !text.isEmpty, text.allSatisfy({ ("0"..."7").contains($0) }), let value = UInt32(text, radix: 8),
      value <= 0o7777
    else {
      throw .badRequest("mode must be octal permission bits from 0 to 7777, such as 644")
    }
    return value
  }
}

extension Schemas.FileInfo {
  init(_ info: FileInfo) {
    let type: _TypePayload =
      switch info.kind {
      case .regular: .file
      case .directory: .directory
      case .symlink: .symlink
      case .other: .other
      }
    self.init(
      path: info.path, name: info.name, _type: type, size: Int(clamping: info.size), mode: Int(info.mode),
      modifiedAt: info.modified, symlinkTarget: info.symlinkTarget)
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
      .badRequest, code: .uploadCut,
      "the upload \(what): \(state.received) bytes arrived\(expected); nothing was written")
  }
}
