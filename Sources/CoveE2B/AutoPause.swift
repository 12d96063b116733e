import CoveSandbox
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// E2B's `autoPause`: at its timeout such a sandbox is paused (Cove's
/// suspend) instead of ended. The manager's reaper ends a sandbox at its
/// deadline, so an auto-pausing sandbox is given `grace` more there, and
/// this pauses it at the deadline E2B promised; should that fail, the
/// reaper ends it `grace` later, as without autoPause. The deadlines are
/// kept in the data directory (`e2b-autopause.json`) for a restarted daemon.
final class AutoPause: Sendable {
  static let grace = 60

  /// Sandbox id to its pause deadline; nil while it is paused (an
  /// auto-pausing sandbox pauses again after a connect).
  private let deadlines: Mutex<[String: Date?]>
  private let path: String

  init(directory: String) {
    path = directory + "/e2b-autopause.json"
    let saved = FileManager.default.contents(atPath: path).flatMap {
      try? JSONDecoder().decode([String: Date?].self, from: $0)
    }
    deadlines = Mutex(saved ?? [:])
  }

  func contains(_ id: String) -> Bool { deadlines.withLock { $0.keys.contains(id) } }

  /// The deadline E2B shows for an auto-pausing sandbox.
  func deadline(_ id: String) -> Date? { deadlines.withLock { $0[id] ?? nil } }

  func set(_ id: String, deadline: Date?) { change { $0[id] = .some(deadline) } }

  func remove(_ id: String) { change { $0[id] = nil } }

  /// The sandboxes whose deadline has come.
  func due(at now: Date) -> [String] {
    deadlines.withLock { deadlines in
      deadlines.compactMap { id, deadline in deadline.map { $0 <= now } == true ? id : nil }
    }
  }

  private func change(_ body: (inout [String: Date?]) -> Void) {
    let snapshot = deadlines.withLock { deadlines in
      body(&deadlines)
      return deadlines
    }
    // Best effort: a deadline that is not kept on disk still holds until
    // the daemon restarts, and the reaper's later deadline bounds it then.
    if let data = try? JSONEncoder().encode(snapshot) {
      _ = FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600])
    }
  }
}

/// Pauses auto-pausing sandboxes at their deadline, once a second, until
/// the listener stops.
struct AutoPauseService: Service {
  let service: E2BService

  func run() async throws {
    try await cancelWhenGracefulShutdown {
      while !Task.isCancelled {
        try await Task.sleep(for: .seconds(1))
        await service.pauseDueSandboxes()
      }
    }
  }
}

extension E2BService {
  func pauseDueSandboxes() async {
    for id in autoPause.due(at: Date()) {
      guard let record = try? await manager.get(id) else {
        autoPause.remove(id)
        continue
      }
      guard record.state == .running else {
        if !record.state.isLive { autoPause.remove(id) }
        continue
      }
      do {
        _ = try await manager.suspend(id)
        autoPause.set(id, deadline: nil)
        logger.info("sandbox paused at its timeout (autoPause)", metadata: ["sandbox": "\(id)"])
      } catch {
        // The reaper ends it at the manager's deadline, `grace` later.
        autoPause.remove(id)
        logger.warning(
          "an autoPause sandbox could not be paused", metadata: ["sandbox": "\(id)", "error": "\(error)"])
      }
    }
  }

  /// Sets a sandbox's timeout from now; an auto-pausing one is paused then,
  /// and the manager ends it only `grace` later.
  @discardableResult
  func setTimeout(_ id: String, seconds: Int) async throws -> SandboxRecord {
    guard autoPause.contains(id) else { return try await manager.extend(id, timeout: seconds) }
    let record = try await manager.extend(id, timeout: min(seconds + AutoPause.grace, manager.configuration.maxTimeout))
    autoPause.set(id, deadline: Date().addingTimeInterval(TimeInterval(seconds)))
    return record
  }
}
