import CoveE2BProto
import CoveMachine
import Foundation
import Synchronization

/// The watchers of envd's polling API (CreateWatcher, GetWatcherEvents,
/// RemoveWatcher): each watches its directory in a task of its own and
/// keeps the changes until they are fetched. A watcher ends when removed,
/// when its sandbox's guest ends the watch, or at `limit` unread events
/// (a client that stopped polling does not grow the daemon without end).
final class Watchers: Sendable {
  static let limit = 10_000

  private struct Watcher {
    var sandboxID: String
    var events: [Filesystem_FilesystemEvent] = []
    var failure: ConnectError?
    var task: Task<Void, Never>?
  }
  private let watchers = Mutex<[String: Watcher]>([:])

  /// Starts watching `path`; returns the watcher's id once the guest's
  /// watch is open, so that a change made right after is seen.
  func start(sandboxID: String, path: String, recursive: Bool, guest: any GuestAgent) async throws -> String {
    let id = UUID().uuidString.lowercased()
    watchers.withLock { $0[id] = Watcher(sandboxID: sandboxID) }
    let (opened, open) = AsyncStream.makeStream(of: Void.self)
    // The task ends when the watcher is removed (cancelled) or its watch ends.
    let task = Task { [self] in
      do {
        try await guest.watch(path) { changes in
          open.finish()
          for try await change in changes {
            guard let event = FileTranslation.event(change, root: path, recursive: recursive) else { continue }
            guard self.add(event, to: id) else { return }
          }
        }
      } catch {
        fail(id, ConnectRoutes.connectError(error))
      }
      open.finish()
    }
    watchers.withLock { $0[id]?.task = task }
    for await _ in opened {}
    return id
  }

  /// False when the watcher is gone or full.
  private func add(_ event: Filesystem_FilesystemEvent, to id: String) -> Bool {
    watchers.withLock { watchers in
      guard watchers[id] != nil else { return false }
      guard watchers[id]!.events.count < Self.limit else {
        watchers[id]!.failure = ConnectError(.resourceExhausted, "watcher \(id) has \(Self.limit) unread events")
        return false
      }
      watchers[id]!.events.append(event)
      return true
    }
  }

  private func fail(_ id: String, _ error: ConnectError) {
    watchers.withLock { $0[id]?.failure = error }
  }

  /// The changes since the last call; the watch's error once they are read.
  func drain(_ id: String, sandboxID: String) throws(ConnectError) -> [Filesystem_FilesystemEvent] {
    try watchers.withLock { (watchers: inout [String: Watcher]) throws(ConnectError) in
      guard let watcher = watchers[id], watcher.sandboxID == sandboxID else {
        throw ConnectError(.notFound, "watcher \(id) not found")
      }
      if watcher.events.isEmpty, let failure = watcher.failure {
        watchers[id] = nil
        throw failure
      }
      watchers[id]!.events = []
      return watcher.events
    }
  }

  func remove(_ id: String, sandboxID: String) throws(ConnectError) {
    let task = try watchers.withLock { (watchers: inout [String: Watcher]) throws(ConnectError) in
      guard let watcher = watchers[id], watcher.sandboxID == sandboxID else {
        throw ConnectError(.notFound, "watcher \(id) not found")
      }
      watchers[id] = nil
      return watcher.task
    }
    task?.cancel()
  }
}
