import CoveMachine
import CoveRules
import Foundation
import Hummingbird
import NIOCore

extension E2BService {
  /// Most a multipart upload may carry: it is read whole before writing.
  static let maxMultipartBytes = 1 << 30

  /// envd's plain HTTP routes: `GET /health`, `GET /files` (download) and
  /// `POST /files` (upload, octet-stream or multipart).
  func addFileRoutes(to router: Router<E2BRequestContext>) {
    router.get("health") { request, _ -> HTTPResponse.Status in
      _ = try await envdCall(request)
      return .noContent
    }
    router.get("files") { request, _ -> Response in
      let call = try await envdCall(request)
      let path = try Self.filePath(request, call)
      let info = try await call.guest.stat(path)
      guard info.kind != .directory else { throw E2BError.badRequest("\(path) is a directory") }
      let guest = call.guest
      return Response(
        status: .ok,
        headers: [
          .contentType: "application/octet-stream", .contentLength: "\(info.size)",
          .contentDisposition: "attachment; filename=\"\(info.name.replacingOccurrences(of: "\"", with: ""))\"",
        ],
        body: ResponseBody { writer in
          let out = SerialWriter(writer)
          try await guest.read(path) { chunks in
            for try await chunk in chunks { try await out.write(ByteBuffer(data: chunk)) }
          }
          try await out.finish()
        })
    }
    router.post("files") { request, context -> ListResponse<WrittenBody> in
      let call = try await envdCall(request)
      let contentType = request.headers[.contentType] ?? ""
      if let boundary = MultipartForm.boundary(contentType: contentType),
        contentType.lowercased().hasPrefix("multipart/form-data")
      {
        return ListResponse(elements: try await uploadMultipart(request, call, boundary: boundary))
      }
      guard request.headers[.contentEncoding] == nil || request.headers[.contentEncoding] == "identity" else {
        throw E2BError(.unsupportedMediaType, "Cove takes uploads without Content-Encoding (gzip is not supported)")
      }
      let path = try Self.filePath(request, call)
      let body = request.body
      try await call.guest.write(path, mode: 0o644, createParents: true) { file in
        for try await buffer in body { try await file.write(buffer.readableBytesView) }
      }
      return ListResponse(elements: [WrittenBody(path: path)])
    }
  }

  func uploadMultipart(_ request: Request, _ call: EnvdCall, boundary: String) async throws -> [WrittenBody] {
    let body: ByteBuffer
    do {
      body = try await request.body.collect(upTo: Self.maxMultipartBytes)
    } catch let error as HTTPError where error.status == .contentTooLarge {
      throw E2BError(
        .contentTooLarge,
        "a multipart upload is read whole and must be under \(Self.maxMultipartBytes >> 20) MiB; "
          + "send application/octet-stream for larger files")
    }
    let form: MultipartForm
    do {
      form = try MultipartForm(body: Data(buffer: body), boundary: boundary)
    } catch {
      throw E2BError.badRequest(error.description)
    }
    let single = request.uri.queryParameters["path"].map(String.init)
    var written: [WrittenBody] = []
    for part in form.parts where part.name == "file" || part.filename != nil {
      // One file: the path parameter; several: each part's file name.
      guard let named = (form.parts.count == 1 ? single : nil) ?? part.filename ?? single else {
        throw E2BError.badRequest("a file part needs a file name (its path) or the path parameter")
      }
      let path = call.resolve(named)
      try Self.checkPath(path)
      let data = part.data
      try await call.guest.write(path, mode: 0o644, createParents: true) { file in try await file.write(data) }
      written.append(WrittenBody(path: path))
    }
    guard !written.isEmpty else { throw E2BError.badRequest("the multipart body has no file part") }
    return written
  }

  /// The `path` parameter, made absolute against the user's home (the
  /// `username` parameter, else the Authorization header's user).
  static func filePath(_ request: Request, _ call: EnvdCall) throws -> String {
    guard let raw = request.uri.queryParameters["path"], !raw.isEmpty else {
      throw E2BError.badRequest("the path parameter is required")
    }
    var call = call
    if let username = request.uri.queryParameters["username"], !username.isEmpty {
      call = EnvdCall(sandboxID: call.sandboxID, guest: call.guest, user: String(username))
    }
    let path = call.resolve(String(raw))
    try checkPath(path)
    return path
  }

  static func checkPath(_ path: String) throws {
    guard !path.contains("\0") else { throw E2BError.badRequest("paths must not contain NUL bytes") }
    guard path.utf8.count <= GuestLimits.maxPathBytes else {
      throw E2BError.badRequest("paths must be at most \(GuestLimits.maxPathBytes) bytes")
    }
  }
}

/// One written file, as envd answers an upload.
struct WrittenBody: Encodable, Sendable {
  var name: String
  var type = "file"
  var path: String

  init(path: String) {
    self.path = path
    name = (path as NSString).lastPathComponent
  }
}
