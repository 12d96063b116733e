import CoveAPIModels
import CoveAgentProto
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
  func startRequest(background: Bool = false) throws(APIError) -> Cove_Agent_V1_StartRequest {
    guard let program = cmd.first, !program.isEmpty else { throw .badRequest("cmd must name a program") }
    if let timeout, timeout < 0 || timeout > 86_400 { throw .badRequest("timeout must be 0 to 86400 seconds") }
    return .with {
      $0.argv = cmd
      $0.env = env ?? [:]
      $0.cwd = cwd ?? ""
      $0.user = user ?? ""
      $0.timeoutMs = UInt64(timeout ?? 0) * 1000
      $0.tag = tag ?? ""
      $0.background = background
      $0.stdin = stdin != nil
    }
  }
}

struct ProcessBody: ResponseEncodable {
  var pid: UInt32
  var tag: String
  var cmd: [String]
  var pty: Bool
  var background: Bool

  init(_ info: Cove_Agent_V1_ProcessInfo) {
    pid = info.pid
    tag = info.tag
    cmd = info.argv
    pty = info.pty
    background = info.background
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

  init(_ info: Cove_Agent_V1_FileInfo) {
    path = info.path
    name = info.name
    switch info.type {
    case .regular: type = "file"
    case .directory: type = "directory"
    case .symlink: type = "symlink"
    default: type = "other"
    }
    size = info.size
    mode = info.mode
    modifiedAt = Date(timeIntervalSince1970: Double(info.modifiedUnixNs) / 1e9)
    symlinkTarget = info.symlinkTarget.isEmpty ? nil : info.symlinkTarget
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
