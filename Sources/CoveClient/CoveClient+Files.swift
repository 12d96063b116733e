import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat

extension CoveClient {
  /// The contents of `path` in the sandbox, in memory; refuses a file over
  /// `limit` bytes rather than read it whole.
  public func readFile(_ id: String, path: String, limit: Int) async throws -> Data {
    let request = try makeRequest(.GET, "/v1/sandboxes/\(Self.escape(id))/files?path=\(Self.escape(path))")
    let response = try await http.execute(request, timeout: .hours(1))
    guard response.status == .ok else { throw try await Self.error(from: response) }
    do {
      return Data(buffer: try await response.body.collect(upTo: limit))
    } catch is NIOTooManyBytesError {
      throw CoveClientError.local("\(path) is larger than \(limit) bytes")
    }
  }

  /// Writes `contents` to `path` in the sandbox (its parent directories
  /// made, a file there replaced atomically).
  public func writeFile(_ id: String, path: String, contents: Data, mode: String? = nil) async throws {
    var query = "path=\(Self.escape(path))&parents=true"
    if let mode { query += "&mode=\(mode)" }
    var request = try makeRequest(.PUT, "/v1/sandboxes/\(Self.escape(id))/files?\(query)")
    request.headers.add(name: "Content-Type", value: "application/octet-stream")
    request.body = .bytes(ByteBuffer(data: contents))
    let response = try await http.execute(request, timeout: .hours(1))
    guard response.status == .ok else { throw try await Self.error(from: response) }
    _ = try await response.body.collect(upTo: 1 << 20)
  }

  /// The entries under `path`, `depth` levels down, as the API's JSON.
  public func listFiles(_ id: String, path: String, depth: Int = 1) async throws -> Data {
    try await send(.GET, "/v1/sandboxes/\(Self.escape(id))/files/list?path=\(Self.escape(path))&depth=\(depth)")
  }
}
