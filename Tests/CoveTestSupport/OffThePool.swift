import Foundation

/// Runs blocking work (waiting for a child process, reading a pipe or a
/// socket to its end) on a thread of its own, and awaits its result.
///
/// Why: Swift's cooperative pool has one thread per core, two on the
/// machines Cove is tested on. A test that blocks a pool thread until a
/// `cove` child ends, while that child waits for a boot turn held by a boot
/// of the test process itself, whose next step needs a pool thread, stops
/// the whole test process once both threads are taken that way: the suite
/// hung with both host-wide boot turns held and its `qemu-img` children
/// exited but never reaped, since the task that reaps them never ran again.
/// Every blocking wait in the tests goes through here.
public func offThePool<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
  try await withCheckedThrowingContinuation { continuation in
    Thread.detachNewThread { continuation.resume(with: Swift.Result { try work() }) }
  }
}

/// ``offThePool(_:)`` for work that cannot throw.
public func offThePool<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
  await withCheckedContinuation { continuation in
    Thread.detachNewThread { continuation.resume(returning: work()) }
  }
}

/// What a child process left when it ended.
public struct ChildOutput: Sendable {
  public let status: Int32
  public let standardOutput: String
  public let standardError: String
}

extension Process {
  /// Waits for the process to end, off the pool, reading `output` and
  /// `error` to their ends meanwhile, each on its own thread so that a full
  /// pipe on one never stalls the child while the other is read.
  public func finish(output: Pipe?, error: Pipe?) async -> ChildOutput {
    async let standardOutput = offThePool { output?.fileHandleForReading.readDataToEndOfFile() ?? Data() }
    async let standardError = offThePool { error?.fileHandleForReading.readDataToEndOfFile() ?? Data() }
    let (out, err) = await (standardOutput, standardError)
    await exited()
    return ChildOutput(
      status: terminationStatus, standardOutput: String(decoding: out, as: UTF8.self),
      standardError: String(decoding: err, as: UTF8.self))
  }

  /// Waits for the process to end, off the pool.
  public func exited() async {
    await offThePool { self.waitUntilExit() }
  }
}
