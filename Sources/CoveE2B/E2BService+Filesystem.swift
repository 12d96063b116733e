import CoveE2BProto
import CoveMachine
import Foundation
import Hummingbird
import SwiftProtobuf

extension E2BService {
  func addEnvdRoutes(to router: Router<E2BRequestContext>) {
    addProcessRoutes(to: router)
    addFilesystemRoutes(to: router)
    addFileRoutes(to: router)
  }

  /// envd's `filesystem.Filesystem` over Cove's agent.
  func addFilesystemRoutes(to router: Router<E2BRequestContext>) {
    ConnectRoutes.unary(router, "/filesystem.Filesystem/Stat", service: self) {
      (request: Filesystem_StatRequest, call) -> Filesystem_StatResponse in
      let info = try await call.guest.stat(call.resolve(request.path))
      return Filesystem_StatResponse.with { $0.entry = FileTranslation.entry(info) }
    }
    ConnectRoutes.unary(router, "/filesystem.Filesystem/ListDir", service: self) {
      (request: Filesystem_ListDirRequest, call) -> Filesystem_ListDirResponse in
      let path = call.resolve(request.path)
      guard try await call.guest.stat(path).kind == .directory else {
        throw ConnectError(.invalidArgument, "\(path) is not a directory")
      }
      let entries = try await call.guest.list(path, depth: Int(max(1, request.depth)))
      return Filesystem_ListDirResponse.with { $0.entries = entries.map(FileTranslation.entry) }
    }
    ConnectRoutes.unary(router, "/filesystem.Filesystem/MakeDir", service: self) {
      (request: Filesystem_MakeDirRequest, call) -> Filesystem_MakeDirResponse in
      let path = call.resolve(request.path)
      // envd answers already_exists for a path that exists (the SDK's
      // make_dir then returns False), and makes missing parents.
      if (try? await call.guest.stat(path)) != nil {
        throw ConnectError(.alreadyExists, "\(path) already exists")
      }
      try await call.guest.makeDirectory(path, mode: 0o755, parents: true)
      let info = try await call.guest.stat(path)
      return Filesystem_MakeDirResponse.with { $0.entry = FileTranslation.entry(info) }
    }
    ConnectRoutes.unary(router, "/filesystem.Filesystem/Move", service: self) {
      (request: Filesystem_MoveRequest, call) -> Filesystem_MoveResponse in
      let destination = call.resolve(request.destination)
      try await call.guest.move(call.resolve(request.source), to: destination)
      let info = try await call.guest.stat(destination)
      return Filesystem_MoveResponse.with { $0.entry = FileTranslation.entry(info) }
    }
    ConnectRoutes.unary(router, "/filesystem.Filesystem/Remove", service: self) {
      (request: Filesystem_RemoveRequest, call) -> Filesystem_RemoveResponse in
      try await call.guest.remove(call.resolve(request.path), recursive: true)
      return Filesystem_RemoveResponse()
    }
    let keepalive = Filesystem_WatchDirResponse.with { $0.keepalive = .init() }
    ConnectRoutes.serverStream(router, "/filesystem.Filesystem/WatchDir", service: self, keepalive: keepalive) {
      (request: Filesystem_WatchDirRequest, call, send) in
      let path = call.resolve(request.path)
      guard try await call.guest.stat(path).kind == .directory else {
        throw ConnectError(.invalidArgument, "\(path) is not a directory")
      }
      try await call.guest.watch(path) { changes in
        try await send(Filesystem_WatchDirResponse.with { $0.start = .init() })
        for try await change in changes {
          guard let event = FileTranslation.event(change, root: path, recursive: request.recursive) else { continue }
          try await send(Filesystem_WatchDirResponse.with { $0.filesystem = event })
        }
      }
    }
    ConnectRoutes.unary(router, "/filesystem.Filesystem/CreateWatcher", service: self) {
      (request: Filesystem_CreateWatcherRequest, call) -> Filesystem_CreateWatcherResponse in
      let path = call.resolve(request.path)
      guard try await call.guest.stat(path).kind == .directory else {
        throw ConnectError(.invalidArgument, "\(path) is not a directory")
      }
      let id = try await watchers.start(
        sandboxID: call.sandboxID, path: path, recursive: request.recursive, guest: call.guest)
      return Filesystem_CreateWatcherResponse.with { $0.watcherID = id }
    }
    ConnectRoutes.unary(router, "/filesystem.Filesystem/GetWatcherEvents", service: self) {
      (request: Filesystem_GetWatcherEventsRequest, call) -> Filesystem_GetWatcherEventsResponse in
      let events = try watchers.drain(request.watcherID, sandboxID: call.sandboxID)
      return Filesystem_GetWatcherEventsResponse.with { $0.events = events }
    }
    ConnectRoutes.unary(router, "/filesystem.Filesystem/RemoveWatcher", service: self) {
      (request: Filesystem_RemoveWatcherRequest, call) -> Filesystem_RemoveWatcherResponse in
      try watchers.remove(request.watcherID, sandboxID: call.sandboxID)
      return Filesystem_RemoveWatcherResponse()
    }
  }
}

/// Between envd's filesystem messages and Cove's guest types.
enum FileTranslation {
  static func entry(_ info: FileInfo) -> Filesystem_EntryInfo {
    Filesystem_EntryInfo.with { entry in
      entry.name = info.name
      entry.path = info.path
      entry.type =
        switch info.kind {
        case .regular: .file
        case .directory: .directory
        case .symlink: .symlink
        case .other: .unspecified
        }
      entry.size = Int64(clamping: info.size)
      entry.mode = info.mode & 0o7777
      entry.permissions = permissions(info)
      entry.owner = info.uid == 0 ? "root" : "\(info.uid)"
      entry.group = info.gid == 0 ? "root" : "\(info.gid)"
      entry.modifiedTime = Google_Protobuf_Timestamp(date: info.modified)
      if let target = info.symlinkTarget {
        entry.symlinkTarget = target
        entry.isSymlink = true
      }
    }
  }

  /// The mode as `ls -l` prints it, such as `drwxr-xr-x`.
  static func permissions(_ info: FileInfo) -> String {
    let kind: Character =
      switch info.kind {
      case .directory: "d"
      case .symlink: "l"
      case .regular, .other: "-"
      }
    let letters: [Character] = ["r", "w", "x"]
    var text = String(kind)
    for bit in 0..<9 {
      text.append(info.mode & (0o400 >> UInt32(bit)) != 0 ? letters[bit % 3] : "-")
    }
    return text
  }

  /// The event of a change under `root`, named relative to it; nil for a
  /// change deeper than one level when the watch is not recursive.
  static func event(_ change: FileChange, root: String, recursive: Bool) -> Filesystem_FilesystemEvent? {
    let prefix = root.hasSuffix("/") ? root : root + "/"
    let name = change.path.hasPrefix(prefix) ? String(change.path.dropFirst(prefix.count)) : change.path
    if !recursive, name.contains("/") { return nil }
    return Filesystem_FilesystemEvent.with { event in
      event.name = name
      event.type =
        switch change.kind {
        case .created: .create
        case .written: .write
        case .removed: .remove
        case .renamed: .rename
        case .attributes: .chmod
        case .other: .unspecified
        }
    }
  }
}
