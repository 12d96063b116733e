import CoveAPIModels
import CoveClient
import Foundation
import MCP

/// The tools Cove offers an AI model over the Model Context Protocol:
/// create a sandbox, run a command in it, read, write and list its files,
/// list sandboxes, and delete one. Each call goes to a `cove serve` through
/// ``CoveClient`` with the key it was made with, so the daemon's own checks
/// (authentication, limits, paths) are the tools' checks too.
public struct SandboxTools: Sendable {
  let client: CoveClient

  public init(client: CoveClient) { self.client = client }

  /// Text files only: a tool answer goes into a model's context.
  static let readLimit = 1 << 20

  public static let definitions: [Tool] = [
    Tool(
      name: "create_sandbox",
      description: "Start a new Linux sandbox (a microVM) and return its id. It is deleted after `timeout` seconds.",
      inputSchema: schema(
        [
          "image": .object(["type": "string", "description": "Root filesystem image (default: the daemon's)."]),
          "template": .object(["type": "string", "description": "Clone this template instead of booting an image."]),
          "timeout": .object(["type": "integer", "minimum": 1, "description": "Seconds the sandbox lives."]),
          "env": .object([
            "type": "object", "additionalProperties": .object(["type": "string"]),
            "description": "Environment variables of every command.",
          ]),
        ], required: [])),
    Tool(
      name: "run_command",
      description:
        "Run a shell command (sh -c) in a sandbox and wait for it; returns its exit code, standard output and error.",
      inputSchema: schema(
        [
          "sandbox_id": .object(["type": "string"]),
          "command": .object(["type": "string", "description": "Given to sh -c."]),
          "cwd": .object(["type": "string", "description": "Working directory."]),
          "timeout": .object(["type": "integer", "minimum": 1, "description": "Seconds before it is killed."]),
        ], required: ["sandbox_id", "command"])),
    Tool(
      name: "read_file",
      description: "Read a text file of a sandbox (up to 1 MiB).",
      inputSchema: schema(
        ["sandbox_id": .object(["type": "string"]), "path": .object(["type": "string"])],
        required: ["sandbox_id", "path"]),
      annotations: .init(readOnlyHint: true)),
    Tool(
      name: "write_file",
      description: "Write a text file in a sandbox, making its parent directories; replaces a file that is there.",
      inputSchema: schema(
        [
          "sandbox_id": .object(["type": "string"]), "path": .object(["type": "string"]),
          "content": .object(["type": "string"]),
        ], required: ["sandbox_id", "path", "content"])),
    Tool(
      name: "list_files",
      description: "List a directory of a sandbox: name, type, size and mode of each entry.",
      inputSchema: schema(
        [
          "sandbox_id": .object(["type": "string"]), "path": .object(["type": "string"]),
          "depth": .object(["type": "integer", "minimum": 1, "description": "Levels down (default 1)."]),
        ], required: ["sandbox_id", "path"]),
      annotations: .init(readOnlyHint: true)),
    Tool(
      name: "list_sandboxes",
      description: "List the sandboxes: id, image, state and when each expires.",
      inputSchema: schema([:], required: []),
      annotations: .init(readOnlyHint: true)),
    Tool(
      name: "kill_sandbox",
      description: "Stop a sandbox and delete it with everything in it.",
      inputSchema: schema(["sandbox_id": .object(["type": "string"])], required: ["sandbox_id"]),
      annotations: .init(destructiveHint: true)),
  ]

  /// A tool's answer in words.
  static func answer(_ text: String, isError: Bool = false) -> CallTool.Result {
    .init(content: [.text(text: text, annotations: nil, _meta: nil)], isError: isError)
  }

  /// Output the API sent as base64 (not UTF-8), shown with its bad bytes replaced.
  static func decoded(_ base64: String) -> String {
    String(decoding: Data(base64Encoded: base64) ?? Data(), as: UTF8.self)
  }

  static func schema(_ properties: [String: Value], required: [String]) -> Value {
    .object([
      "type": "object", "properties": .object(properties), "required": .array(required.map { .string($0) }),
      "additionalProperties": false,
    ])
  }

  /// Runs tool `name`. A failure (bad arguments, an API error, a sandbox
  /// that is gone) is an answer with `isError`, in words, as the protocol
  /// wants tool errors told to the model rather than thrown.
  public func call(_ name: String, _ arguments: [String: Value]) async -> CallTool.Result {
    do {
      let arguments = Arguments(values: arguments)
      return try await dispatch(name, arguments)
    } catch let error as ToolError {
      return Self.answer(error.message, isError: true)
    } catch let error as CoveClientError {
      return Self.answer("\(error)", isError: true)
    } catch {
      return Self.answer("\(name) failed: \(error)", isError: true)
    }
  }

  private func dispatch(_ name: String, _ arguments: Arguments) async throws -> CallTool.Result {
    switch name {
    case "create_sandbox":
      let sandbox = try await client.createSandbox(
        CreateSandbox(
          image: try arguments.string("image"), timeout: try arguments.integer("timeout"),
          env: try arguments.strings("env"), template: try arguments.string("template")))
      return Self.answer("created sandbox \(sandbox.id) (image \(sandbox.image))")
    case "run_command":
      let id = try arguments.required("sandbox_id")
      let result = try await client.exec(
        id,
        Command(
          ["sh", "-c", try arguments.required("command")], cwd: try arguments.string("cwd"),
          timeout: try arguments.integer("timeout")))
      let (stdout, stderr) =
        result.base64
        ? (Self.decoded(result.stdout), Self.decoded(result.stderr)) : (result.stdout, result.stderr)
      var text = "exit code \(result.exitCode)"
      if result.timedOut { text += " (timed out)" }
      if !stdout.isEmpty { text += "\nstdout:\n\(stdout)" }
      if !stderr.isEmpty { text += "\nstderr:\n\(stderr)" }
      if result.truncated { text += "\n(output truncated)" }
      return Self.answer(text)
    case "read_file":
      let data = try await client.readFile(
        try arguments.required("sandbox_id"), path: try arguments.required("path"), limit: Self.readLimit)
      guard let text = String(data: data, encoding: .utf8) else {
        throw ToolError(message: "the file is not UTF-8 text (\(data.count) bytes)")
      }
      return Self.answer(text)
    case "write_file":
      let path = try arguments.required("path")
      let content = try arguments.required("content")
      try await client.writeFile(try arguments.required("sandbox_id"), path: path, contents: Data(content.utf8))
      return Self.answer("wrote \(content.utf8.count) bytes to \(path)")
    case "list_files":
      let listing = try await client.listFiles(
        try arguments.required("sandbox_id"), path: try arguments.required("path"),
        depth: try arguments.integer("depth") ?? 1)
      return Self.answer(String(decoding: listing, as: UTF8.self))
    case "list_sandboxes":
      let lines = try await client.sandboxes().map { "\($0.id) \($0.image) \($0.state) expires \($0.expiresAt)" }
      return Self.answer(lines.isEmpty ? "no sandboxes" : lines.joined(separator: "\n"))
    case "kill_sandbox":
      let id = try arguments.required("sandbox_id")
      try await client.deleteSandbox(id)
      return Self.answer("deleted sandbox \(id)")
    default:
      throw ToolError(message: "no tool named \(name)")
    }
  }
}

/// A tool's arguments, checked against what each tool takes.
struct Arguments {
  let values: [String: Value]

  func string(_ name: String) throws(ToolError) -> String? {
    guard let value = values[name], !value.isNull else { return nil }
    guard let text = value.stringValue else { throw ToolError(message: "\(name) must be a string") }
    return text
  }

  func required(_ name: String) throws(ToolError) -> String {
    guard let text = try string(name) else { throw ToolError(message: "\(name) is required") }
    return text
  }

  func integer(_ name: String) throws(ToolError) -> Int? {
    guard let value = values[name], !value.isNull else { return nil }
    if let number = value.intValue { return number }
    if let number = value.doubleValue, number.rounded() == number, abs(number) < 1e15 { return Int(number) }
    throw ToolError(message: "\(name) must be an integer")
  }

  func strings(_ name: String) throws(ToolError) -> [String: String]? {
    guard let value = values[name], !value.isNull else { return nil }
    guard let object = value.objectValue else { throw ToolError(message: "\(name) must be an object of strings") }
    var result: [String: String] = [:]
    for (key, entry) in object {
      guard let text = entry.stringValue else { throw ToolError(message: "\(name).\(key) must be a string") }
      result[key] = text
    }
    return result
  }
}

/// A tool call the model got wrong, in words it can act on.
struct ToolError: Error {
  let message: String
}
