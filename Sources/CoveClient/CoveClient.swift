import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// A client of `cove serve`'s HTTP API.
public struct CoveClient: Sendable {
  public var baseURL: String
  public var key: String?
  let http: HTTPClient

  public init(baseURL: String, key: String?, http: HTTPClient = CoveClient.sharedHTTP) {
    self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    self.key = key
    self.http = http
  }

  /// The HTTP client every CoveClient uses unless given one: AsyncHTTPClient's
  /// shared client, without its 90 s read timeout. An answer may rightly be
  /// silent for longer (a create waiting for its boot turn on a busy host,
  /// an exec of a quiet command, a large upload before its answer); each
  /// call's own deadline bounds it instead.
  public static let sharedHTTP: HTTPClient = {
    var configuration = HTTPClient.Configuration.singletonConfiguration
    configuration.timeout.read = nil
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
  }()

  // MARK: Sandboxes

  public func createSandbox(_ request: CreateSandbox) async throws -> Sandbox {
    try await call(.POST, "/v1/sandboxes", body: request)
  }

  public func sandboxes(state: String? = nil) async throws -> [Sandbox] {
    let query = state.map { "?state=\($0)" } ?? ""
    let list: SandboxList = try await call(.GET, "/v1/sandboxes" + query)
    return list.sandboxes
  }

  public func sandbox(_ id: String) async throws -> Sandbox {
    try await call(.GET, "/v1/sandboxes/\(Self.escape(id))")
  }

  public func deleteSandbox(_ id: String) async throws {
    _ = try await send(.DELETE, "/v1/sandboxes/\(Self.escape(id))")
  }

  public func extend(_ id: String, timeout: Int) async throws -> Sandbox {
    try await call(.POST, "/v1/sandboxes/\(Self.escape(id))/timeout", body: ["timeout": timeout])
  }

  /// Makes a template (an empty image means the daemon's default).
  public func createTemplate(_ template: Template) async throws -> Template {
    var body = template
    body.createdAt = nil
    return try await call(.POST, "/v1/templates", body: body)
  }

  public func templates() async throws -> [Template] {
    let list: TemplateList = try await call(.GET, "/v1/templates")
    return list.templates
  }

  public func deleteTemplate(_ name: String) async throws {
    _ = try await send(.DELETE, "/v1/templates/\(Self.escape(name))")
  }

  public func pause(_ id: String) async throws -> Sandbox {
    try await call(.POST, "/v1/sandboxes/\(Self.escape(id))/pause")
  }

  /// Lets a paused sandbox run again, or brings a suspended one back.
  public func resume(_ id: String) async throws -> Sandbox {
    try await call(.POST, "/v1/sandboxes/\(Self.escape(id))/resume")
  }

  /// Saves the sandbox to disk and ends its VM, until ``resume(_:)``.
  public func suspend(_ id: String) async throws -> Sandbox {
    try await call(.POST, "/v1/sandboxes/\(Self.escape(id))/suspend")
  }

  /// Makes a template of a sandbox as it stands; the sandbox carries on.
  public func createTemplate(from id: String, name: String) async throws -> Template {
    try await call(.POST, "/v1/sandboxes/\(Self.escape(id))/template", body: ["name": name])
  }

  /// Runs a lifecycle hook in a sandbox with `payload` on its stdin, and
  /// returns its stdout.
  public func invokeHook(_ id: String, hook: String, payload: Data = Data()) async throws -> Data {
    var request = try makeRequest(.POST, "/v1/sandboxes/\(Self.escape(id))/hooks/\(Self.escape(hook))")
    request.headers.add(name: "Content-Type", value: "application/octet-stream")
    request.body = .bytes(ByteBuffer(data: payload))
    let response = try await http.execute(request, timeout: .minutes(5))
    guard (200..<300).contains(response.status.code) else { throw try await Self.error(from: response) }
    return Data(buffer: try await response.body.collect(upTo: 8 << 20))
  }

  /// The hooks that ran in a sandbox, oldest first.
  public func hookHistory(_ id: String) async throws -> [HookRun] {
    let history: HookHistory = try await call(.GET, "/v1/sandboxes/\(Self.escape(id))/hooks")
    return history.history
  }

  /// A sandbox's supervised services.
  public func services(_ id: String) async throws -> [ServiceStatus] {
    let list: ServiceList = try await call(.GET, "/v1/sandboxes/\(Self.escape(id))/services")
    return list.services
  }

  /// The end of a service's log.
  public func serviceLogs(_ id: String, service: String) async throws -> String {
    let data = try await send(.GET, "/v1/sandboxes/\(Self.escape(id))/services/\(Self.escape(service))/logs")
    return String(decoding: data, as: UTF8.self)
  }

  public func logs(_ id: String) async throws -> String {
    String(decoding: try await send(.GET, "/v1/sandboxes/\(Self.escape(id))/logs"), as: UTF8.self)
  }

  // MARK: Commands

  public func exec(_ id: String, _ command: Command) async throws -> ExecResult {
    try await call(.POST, "/v1/sandboxes/\(Self.escape(id))/exec", body: command)
  }

  /// Runs a command with live output: `output` gets each piece as it comes;
  /// returns the exit status.
  public func execStreaming(
    _ id: String, _ command: Command, output: @Sendable (OutputChannel, Data) async throws -> Void
  ) async throws -> ExitStatus {
    var request = try makeRequest(.POST, "/v1/sandboxes/\(Self.escape(id))/exec/stream", body: command)
    request.headers.add(name: "Accept", value: "text/event-stream")
    let response = try await http.execute(request, timeout: .hours(24))
    guard response.status == .ok else { throw try await Self.error(from: response) }
    var parser = EventStreamParser()
    for try await buffer in response.body {
      for event in parser.feed(buffer) {
        switch event.name {
        case "stdout", "stderr":
          let data = try JSONDecoder().decode(Chunk.self, from: Data(event.data.utf8))
          try await output(event.name == "stdout" ? .stdout : .stderr, Data(base64Encoded: data.data) ?? Data())
        case "exit": return try JSONDecoder().decode(ExitStatus.self, from: Data(event.data.utf8))
        case "error":
          let error = try JSONDecoder().decode(APIErrorBody.Inner.self, from: Data(event.data.utf8))
          throw CoveClientError.api(status: 200, code: error.code, message: error.message)
        default: break
        }
      }
    }
    throw CoveClientError.protocolViolation("the event stream ended without an exit event")
  }

  // MARK: Files

  /// Uploads the file at `localPath` to `path` in the sandbox, streamed.
  public func upload(_ id: String, from localPath: String, to path: String, mode: String? = nil) async throws {
    var query = "path=\(Self.escape(path))&parents=true"
    if let mode { query += "&mode=\(mode)" }
    var request = try makeRequest(.PUT, "/v1/sandboxes/\(Self.escape(id))/files?\(query)")
    let size = try FileManager.default.attributesOfItem(atPath: localPath)[.size] as? Int ?? 0
    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: localPath))
    request.body = .stream(FileChunks(handle: handle), length: .known(Int64(size)))
    defer { try? handle.close() }
    let response = try await http.execute(request, timeout: .hours(24))
    guard response.status == .ok else { throw try await Self.error(from: response) }
    _ = try await response.body.collect(upTo: 1 << 20)
  }

  /// Downloads `path` from the sandbox into `localPath`, streamed; returns the byte count.
  @discardableResult
  public func download(_ id: String, from path: String, to localPath: String) async throws -> Int {
    let request = try makeRequest(.GET, "/v1/sandboxes/\(Self.escape(id))/files?path=\(Self.escape(path))")
    let response = try await http.execute(request, timeout: .hours(24))
    guard response.status == .ok else { throw try await Self.error(from: response) }
    let temporary = localPath + ".cove-partial"
    guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
      throw CoveClientError.local("cannot write \(localPath)")
    }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
    var count = 0
    do {
      for try await buffer in response.body {
        try handle.write(contentsOf: buffer.readableBytesView)
        count += buffer.readableBytes
      }
      try handle.close()
      guard rename(temporary, localPath) == 0 else {
        throw CoveClientError.local("cannot write \(localPath): \(String(cString: strerror(errno)))")
      }
    } catch {
      try? handle.close()
      try? FileManager.default.removeItem(atPath: temporary)
      throw error
    }
    return count
  }

  // MARK: Plumbing

  /// Sends a request and decodes a JSON answer.
  public func call<Answer: Decodable>(_ method: HTTPMethod, _ path: String, body: (some Encodable)? = nil as Empty?)
    async throws -> Answer
  {
    let data = try await send(method, path, body: body)
    do {
      return try Self.decoder.decode(Answer.self, from: data)
    } catch {
      throw CoveClientError.protocolViolation("unexpected answer from \(path): \(error)")
    }
  }

  /// Sends a request; returns the body of a 2xx answer, throws the API's error otherwise.
  public func send(_ method: HTTPMethod, _ path: String, body: (some Encodable)? = nil as Empty?) async throws -> Data {
    let request = try makeRequest(method, path, body: body)
    let response = try await http.execute(request, timeout: .hours(1))
    guard (200..<300).contains(response.status.code) else { throw try await Self.error(from: response) }
    return Data(buffer: try await response.body.collect(upTo: 64 << 20))
  }

  func makeRequest(_ method: HTTPMethod, _ path: String, body: (some Encodable)? = nil as Empty?) throws
    -> HTTPClientRequest
  {
    var request = HTTPClientRequest(url: baseURL + path)
    request.method = method
    if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
    if let body {
      request.headers.add(name: "Content-Type", value: "application/json")
      request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(body)))
    }
    return request
  }

  static func error(from response: HTTPClientResponse) async throws -> CoveClientError {
    let data = Data(buffer: (try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer())
    if let body = try? JSONDecoder().decode(APIErrorBody.self, from: data) {
      return .api(status: Int(response.status.code), code: body.error.code, message: body.error.message)
    }
    return .api(status: Int(response.status.code), code: "http", message: String(decoding: data, as: UTF8.self))
  }

  static func escape(_ value: String) -> String {
    value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~/"))) ?? value
  }

  static var decoder: JSONDecoder {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return decoder
  }

  public struct Empty: Codable, Sendable {}
}

/// The bytes of a file, 1 MiB at a time, for streamed uploads.
struct FileChunks: AsyncSequence, Sendable {
  typealias Element = ByteBuffer
  let handle: FileHandle

  struct AsyncIterator: AsyncIteratorProtocol {
    let handle: FileHandle
    mutating func next() async throws -> ByteBuffer? {
      guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else { return nil }
      return ByteBuffer(data: data)
    }
  }

  func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: handle) }
}
