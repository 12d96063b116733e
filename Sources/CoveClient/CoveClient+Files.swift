import CoveAPIContract
import Foundation
import OpenAPIRuntime

extension CoveClient {
  /// The contents of `path` in the sandbox, in memory; refuses a file over
  /// `limit` bytes rather than read it whole.
  public func readFile(_ id: String, path: String, limit: Int) async throws -> Data {
    let body = try await perform { api in
      try await api.downloadFile(path: .init(id: id), query: .init(path: path)).ok.body.binary
    }
    var data = Data()
    for try await chunk in body {
      guard data.count + chunk.count <= limit else {
        throw CoveClientError.local("\(path) is larger than \(limit) bytes")
      }
      data.append(contentsOf: chunk)
    }
    return data
  }

  /// Writes `contents` to `path` in the sandbox (its parent directories
  /// made, a file there replaced atomically).
  public func writeFile(_ id: String, path: String, contents: Data, mode: String? = nil) async throws {
    try await perform { api in
      _ = try await api.uploadFile(
        path: .init(id: id), query: .init(path: path, mode: mode, parents: true), body: .binary(HTTPBody(contents))
      ).ok
    }
  }

  /// The entries under `path`, `depth` levels down, as the API's JSON.
  public func listFiles(_ id: String, path: String, depth: Int = 1) async throws -> Data {
    let listing = try await perform { api in
      try await api.listFiles(path: .init(id: id), query: .init(path: path, depth: depth)).ok.body.json
    }
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(listing)
  }
}
