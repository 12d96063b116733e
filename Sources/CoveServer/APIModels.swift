import CoveAPIModels
import CoveMachine
import CoveSandbox
import Foundation
import Hummingbird

// The JSON shapes of the API that only the server has: request bodies and
// answers the Swift client does not read. The shapes the client shares live
// in CoveAPIModels. Field names are snake_case on the wire; openapi.yaml
// (OpenAPIDocument.swift) documents each of them.

extension Sandbox: ResponseEncodable {}
extension SandboxList: ResponseEncodable {}
extension Template: ResponseEncodable {}
extension TemplateList: ResponseEncodable {}
extension ExecResult: ResponseEncodable {}
extension HookHistory: ResponseEncodable {}
extension ServiceList: ResponseEncodable {}

struct CreateTemplateBody: Decodable {
  var name: String
  var image: String?
  var cpus: Int?
  var memoryMiB: Int?
  var startCmd: [String]?
  var readyCmd: [String]?
  var hooks: TemplateHooks?
  var services: [GuestService]?

  enum CodingKeys: String, CodingKey {
    case name, image, cpus, hooks, services
    case memoryMiB = "memory_mib"
    case startCmd = "start_cmd"
    case readyCmd = "ready_cmd"
  }
}

extension Template {
  init(_ record: TemplateRecord) {
    self.init(
      name: record.name, image: record.image, cpus: record.cpus, memoryMiB: record.memoryMiB,
      startCmd: record.startCommand, readyCmd: record.readyCommand, hooks: record.hooks, services: record.services,
      createdAt: record.createdAt)
  }
}

/// Names the template made of a sandbox.
struct SandboxTemplateBody: Decodable {
  var name: String
}

extension Sandbox {
  init(_ record: SandboxRecord) {
    self.init(
      id: record.id, image: record.image, cpus: record.cpus, memoryMiB: record.memoryMiB, state: record.state.rawValue,
      createdAt: record.createdAt, expiresAt: record.expiresAt, metadata: record.metadata, error: record.error,
      template: record.template, suspendedAt: record.suspendedAt)
  }
}

struct TimeoutBody: Decodable {
  var timeout: Int
}

extension Command {
  /// The command as the guest runs it; a timeout of 0 is none.
  func processSpec(background: Bool = false) throws(APIError) -> ProcessSpec {
    guard let program = cmd.first, !program.isEmpty else { throw .badRequest("cmd must name a program") }
    if let timeout, timeout < 0 || timeout > 86_400 { throw .badRequest("timeout must be 0 to 86400 seconds") }
    return ProcessSpec(
      argv: cmd, env: env ?? [:], cwd: cwd.flatMap { $0.isEmpty ? nil : $0 },
      user: user.flatMap { $0.isEmpty ? nil : $0 }, timeout: timeout.flatMap { $0 == 0 ? nil : .seconds($0) },
      stdin: stdin != nil, tag: tag.flatMap { $0.isEmpty ? nil : $0 }, background: background)
  }
}

struct ProcessBody: ResponseEncodable {
  var pid: UInt32
  var tag: String
  var cmd: [String]
  var pty: Bool
  var background: Bool

  init(_ process: GuestProcess) {
    pid = process.pid
    tag = process.tag
    cmd = process.argv
    pty = process.terminal
    background = process.background
  }
}

struct ProcessListBody: ResponseEncodable {
  var processes: [ProcessBody]
}

struct StartedBody: ResponseEncodable {
  var pid: UInt32
}

struct StdinBody: Decodable {
  var data: String?
  var dataBase64: String?
  var close: Bool?

  enum CodingKeys: String, CodingKey {
    case data, close
    case dataBase64 = "data_base64"
  }
}

struct SignalBody: Decodable {
  var signal: Int32
}

struct FileInfoBody: ResponseEncodable {
  var path: String
  var name: String
  var type: String
  var size: UInt64
  var mode: UInt32
  var modifiedAt: Date
  var symlinkTarget: String?

  enum CodingKeys: String, CodingKey {
    case path, name, type, size, mode
    case modifiedAt = "modified_at"
    case symlinkTarget = "symlink_target"
  }

  init(_ info: FileInfo) {
    path = info.path
    name = info.name
    type =
      switch info.kind {
      case .regular: "file"
      case .directory: "directory"
      case .symlink: "symlink"
      case .other: "other"
      }
    size = info.size
    mode = info.mode
    modifiedAt = info.modified
    symlinkTarget = info.symlinkTarget
  }
}

struct FileListBody: ResponseEncodable {
  var entries: [FileInfoBody]
}

struct MakeDirectoryBody: Decodable {
  var path: String
  var parents: Bool?
  var mode: UInt32?
}

struct RenameBody: Decodable {
  var from: String
  var to: String
}

struct EmptyBody: ResponseEncodable {}

struct HealthBody: ResponseEncodable {
  var status: String
  var version: String
  var sandboxes: Int
}
