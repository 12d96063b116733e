import Synchronization

/// Lets one task at a time through, the others waiting in the order they
/// came. An actor would not do: it lets another call in at every `await`.
final class AsyncGate: Sendable {
  private struct State {
    var busy = false
    var waiters: [CheckedContinuation<Void, Never>] = []
  }

  private let state = Mutex(State())

  /// Runs `body` once every earlier caller's body has ended.
  func serialized<T, E: Error>(_ body: () async throws(E) -> T) async throws(E) -> T {
    await enter()
    defer { leave() }
    return try await body()
  }

  private func enter() async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      let admitted = state.withLock { s in
        if !s.busy {
          s.busy = true
          return true
        }
        s.waiters.append(continuation)
        return false
      }
      if admitted { continuation.resume() }
    }
  }

  private func leave() {
    let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
      if s.waiters.isEmpty {
        s.busy = false
        return nil
      }
      return s.waiters.removeFirst()
    }
    next?.resume()
  }
}
