import AsyncHTTPClient
import CoveAPIContract
@_exported import CoveAPIModels
import Foundation
import HTTPTypes
import NIOCore
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime

/// A client of `cove serve`'s HTTP API: the client generated from
/// openapi.yaml, with the answers as CoveAPIModels' types and the API's
/// errors as ``CoveClientError``.
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

  /// The generated client, over `http`. Its deadline only guards against a
  /// daemon that stopped answering: streams and uploads may take hours.
  var api: Client {
    get throws(CoveClientError) {
      guard let url = URL(string: baseURL) else { throw .local("not a URL: \(baseURL)") }
      return Client(
        serverURL: url, transport: AsyncHTTPClientTransport(configuration: .init(client: http, timeout: .hours(24))),
        middlewares: [Authorization(key: key), ErrorAnswers()])
    }
  }

  /// Runs one call of the generated client; the API's error answers come
  /// out as ``CoveClientError``, other failures as their cause (a refused
  /// connection, an answer that is not the document's).
  func perform<Answer>(_ call: (Client) async throws -> Answer) async throws -> Answer {
    do {
      return try await call(try api)
    } catch let error as ClientError {
      throw error.underlyingError
    }
  }

  // MARK: Sandboxes

  public func createSandbox(_ request: CreateSandbox) async throws -> Sandbox {
    try await perform { api in
      let body = Components.Schemas.CreateSandbox(
        image: request.image, cpus: request.cpus, memoryMib: request.memoryMiB, timeout: request.timeout,
        env: request.env.map { .init(additionalProperties: $0) },
        metadata: request.metadata.map { .init(additionalProperties: $0) }, template: request.template,
        runPayload: request.runPayload)
      return Sandbox(try await api.createSandbox(body: .json(body)).created.body.json)
    }
  }

  public func sandboxes(state: String? = nil) async throws -> [Sandbox] {
    try await perform { api in
      var query = Operations.ListSandboxes.Input.Query()
      if let state {
        guard let known = Operations.ListSandboxes.Input.Query.StatePayload(rawValue: state) else {
          let states = Operations.ListSandboxes.Input.Query.StatePayload.allCases.map(\.rawValue)
          throw CoveClientError.local("state must be one of \(states.joined(separator: ", "))")
        }
        query.state = known
      }
      return try await api.listSandboxes(query: query).ok.body.json.sandboxes.map(Sandbox.init)
    }
  }

  public func sandbox(_ id: String) async throws -> Sandbox {
    try await perform { api in Sandbox(try await api.getSandbox(path: .init(id: id)).ok.body.json) }
  }

  public func deleteSandbox(_ id: String) async throws {
    try await perform { api in _ = try await api.deleteSandbox(path: .init(id: id)).noContent }
  }

  public func extend(_ id: String, timeout: Int) async throws -> Sandbox {
    try await perform { api in
      Sandbox(try await api.setTimeout(path: .init(id: id), body: .json(.init(timeout: timeout))).ok.body.json)
    }
  }

  /// Makes a template (an empty image means the daemon's default).
  public func createTemplate(_ template: Template) async throws -> Template {
    try await perform { api in
      let body = Components.Schemas.CreateTemplate(
        name: template.name, image: template.image.isEmpty ? nil : template.image, cpus: template.cpus,
        memoryMib: template.memoryMiB, startCmd: template.startCmd, readyCmd: template.readyCmd,
        hooks: template.hooks.map(Components.Schemas.Hooks.init),
        services: template.services?.map(Components.Schemas.Service.init))
      return Template(try await api.createTemplate(body: .json(body)).created.body.json)
    }
  }

  public func templates() async throws -> [Template] {
    try await perform { api in try await api.listTemplates().ok.body.json.templates.map(Template.init) }
  }

  public func deleteTemplate(_ name: String) async throws {
    try await perform { api in _ = try await api.deleteTemplate(path: .init(name: name)).noContent }
  }

  public func pause(_ id: String) async throws -> Sandbox {
    try await perform { api in Sandbox(try await api.pauseSandbox(path: .init(id: id)).ok.body.json) }
  }

  /// Lets a paused sandbox run again, or brings a suspended one back.
  public func resume(_ id: String) async throws -> Sandbox {
    try await perform { api in Sandbox(try await api.resumeSandbox(path: .init(id: id)).ok.body.json) }
  }

  /// Saves the sandbox to disk and ends its VM, until ``resume(_:)``.
  public func suspend(_ id: String) async throws -> Sandbox {
    try await perform { api in Sandbox(try await api.suspendSandbox(path: .init(id: id)).ok.body.json) }
  }

  /// Makes a template of a sandbox as it stands; the sandbox carries on.
  public func createTemplate(from id: String, name: String) async throws -> Template {
    try await perform { api in
      Template(
        try await api.templateFromSandbox(path: .init(id: id), body: .json(.init(name: name))).created.body.json)
    }
  }

  /// Runs a lifecycle hook in a sandbox with `payload` on its stdin, and
  /// returns its stdout.
  public func invokeHook(_ id: String, hook: String, payload: Data = Data()) async throws -> Data {
    guard let known = Operations.InvokeHook.Input.Path.HookPayload(rawValue: hook) else {
      let hooks = Operations.InvokeHook.Input.Path.HookPayload.allCases.map(\.rawValue)
      throw CoveClientError.local("no hook \(hook); hooks are \(hooks.joined(separator: ", "))")
    }
    return try await perform { api in
      let answer = try await api.invokeHook(path: .init(id: id, hook: known), body: .binary(HTTPBody(payload)))
      return try await Data(collecting: answer.ok.body.binary, upTo: 8 << 20)
    }
  }

  /// The hooks that ran in a sandbox, oldest first.
  public func hookHistory(_ id: String) async throws -> [HookRun] {
    try await perform { api in
      try await api.hookHistory(path: .init(id: id)).ok.body.json.history.map {
        HookRun(hook: $0.hook, outcome: $0.outcome.rawValue, at: $0.at)
      }
    }
  }

  /// A sandbox's supervised services.
  public func services(_ id: String) async throws -> [ServiceStatus] {
    try await perform { api in
      try await api.listServices(path: .init(id: id)).ok.body.json.services.map {
        ServiceStatus(
          name: $0.name, state: $0.state.rawValue, pid: $0.pid, restarts: $0.restarts, lastExit: $0.lastExit,
          uid: $0.uid, gid: $0.gid)
      }
    }
  }

  /// The end of a service's log.
  public func serviceLogs(_ id: String, service: String) async throws -> String {
    try await perform { api in
      let body = try await api.serviceLogs(path: .init(id: id, name: service)).ok.body.plainText
      return try await String(collecting: body, upTo: 64 << 20)
    }
  }

  public func logs(_ id: String) async throws -> String {
    try await perform { api in
      try await String(collecting: api.sandboxLogs(path: .init(id: id)).ok.body.plainText, upTo: 64 << 20)
    }
  }

  // MARK: Commands

  public func exec(_ id: String, _ command: Command) async throws -> ExecResult {
    try await perform { api in
      let result = try await api.exec(path: .init(id: id), body: .json(.init(command))).ok.body.json
      return ExecResult(
        stdout: result.stdout, stderr: result.stderr, exitCode: Int32(clamping: result.exitCode),
        signal: result.signal.map { Int32(clamping: $0) }, timedOut: result.timedOut, base64: result.base64,
        truncated: result.truncated)
    }
  }

  /// Runs a command with live output: `output` gets each piece as it comes;
  /// returns the exit status.
  public func execStreaming(
    _ id: String, _ command: Command, output: @Sendable (OutputChannel, Data) async throws -> Void
  ) async throws -> ExitStatus {
    try await perform { api in
      let events = try await api.execStream(path: .init(id: id), body: .json(.init(command))).ok.body.textEventStream
      let decoder = JSONDecoder()
      for try await event in events.asDecodedServerSentEvents() {
        let data = Data((event.data ?? "").utf8)
        switch event.event {
        case "stdout", "stderr":
          let chunk = try decoder.decode(Components.Schemas.OutputChunk.self, from: data)
          try await output(event.event == "stdout" ? .stdout : .stderr, Data(chunk.data.data))
        case "exit":
          return ExitStatus(try decoder.decode(Components.Schemas.ExitStatus.self, from: data))
        case "error":
          let error = try decoder.decode(Components.Schemas.ErrorDetail.self, from: data)
          throw CoveClientError.api(status: 200, code: error.code.rawValue, message: error.message)
        default: break
        }
      }
      throw CoveClientError.protocolViolation("the event stream ended without an exit event")
    }
  }

  // MARK: Files

  /// Uploads the file at `localPath` to `path` in the sandbox, streamed.
  public func upload(_ id: String, from localPath: String, to path: String, mode: String? = nil) async throws {
    let size = try FileManager.default.attributesOfItem(atPath: localPath)[.size] as? Int ?? 0
    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: localPath))
    defer { try? handle.close() }
    let body = HTTPBody(FileChunks(handle: handle), length: .known(Int64(size)), iterationBehavior: .single)
    try await perform { api in
      _ = try await api.uploadFile(
        path: .init(id: id), query: .init(path: path, mode: mode, parents: true), body: .binary(body)
      ).ok
    }
  }

  /// Downloads `path` from the sandbox into `localPath`, streamed; returns the byte count.
  @discardableResult
  public func download(_ id: String, from path: String, to localPath: String) async throws -> Int {
    let body = try await perform { api in
      try await api.downloadFile(path: .init(id: id), query: .init(path: path)).ok.body.binary
    }
    let temporary = localPath + ".cove-partial"
    guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
      throw CoveClientError.local("cannot write \(localPath)")
    }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
    var count = 0
    do {
      for try await chunk in body {
        try handle.write(contentsOf: chunk)
        count += chunk.count
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

  static func escape(_ value: String) -> String {
    value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~/"))) ?? value
  }
}

/// Adds the API key to every request.
struct Authorization: ClientMiddleware {
  let key: String?

  func intercept(
    _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
    next: (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
  ) async throws -> (HTTPResponse, HTTPBody?) {
    var request = request
    if let key { request.headerFields[.authorization] = "Bearer \(key)" }
    return try await next(request, body, baseURL)
  }
}

/// Turns every error answer into ``CoveClientError/api(status:code:message:)``
/// in one place, so each call reads only its success.
struct ErrorAnswers: ClientMiddleware {
  func intercept(
    _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
    next: (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
  ) async throws -> (HTTPResponse, HTTPBody?) {
    let (response, responseBody) = try await next(request, body, baseURL)
    guard response.status.code >= 400 else { return (response, responseBody) }
    var data = Data()
    if let responseBody { data = try await Data(collecting: responseBody, upTo: 1 << 20) }
    if let answer = try? JSONDecoder().decode(Components.Schemas._Error.self, from: data) {
      throw CoveClientError.api(
        status: response.status.code, code: answer.error.code.rawValue, message: answer.error.message)
    }
    throw CoveClientError.api(
      status: response.status.code, code: "http", message: String(decoding: data, as: UTF8.self))
  }
}

/// The bytes of a file, 1 MiB at a time, for streamed uploads.
struct FileChunks: AsyncSequence, Sendable {
  typealias Element = ArraySlice<UInt8>
  let handle: FileHandle

  struct AsyncIterator: AsyncIteratorProtocol {
    let handle: FileHandle
    mutating func next() async throws -> ArraySlice<UInt8>? {
      guard let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else { return nil }
      return ArraySlice(data)
    }
  }

  func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: handle) }
}
