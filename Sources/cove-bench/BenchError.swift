/// What can go wrong in a benchmark run. A failed iteration is counted and
/// its error printed; a failed setup ends the run.
enum BenchError: Error, CustomStringConvertible {
  case setup(String)
  case timeout(what: String, limit: Duration)
  case guestAgent(String)
  case ssh(String)
  case unexpected(String)

  var description: String {
    switch self {
    case .setup(let why): return "setup failed: \(why)"
    case .timeout(let what, let limit): return "\(what) timed out after \(limit)"
    case .guestAgent(let why): return "qemu-guest-agent: \(why)"
    case .ssh(let why): return "ssh: \(why)"
    case .unexpected(let why): return why
    }
  }
}

/// Runs `body`, cancelling it and throwing ``BenchError/timeout(what:limit:)``
/// when it takes longer than `limit`.
func withDeadline<T: Sendable>(
  _ what: String, _ limit: Duration, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
  try await withThrowingTaskGroup(of: T?.self) { group in
    group.addTask { try await body() }
    group.addTask {
      try await Task.sleep(for: limit)
      return nil
    }
    defer { group.cancelAll() }
    guard let first = try await group.next(), let value = first else {
      throw BenchError.timeout(what: what, limit: limit)
    }
    return value
  }
}
