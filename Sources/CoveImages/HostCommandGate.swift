/// Starts the short host commands of this process one at a time (qemu-img,
/// mke2fs, dpkg-deb, QEMU's own launch, which returns once it daemonized).
///
/// Why: in a test run two `qemu-img create` started at the same moment by
/// two boots both exited and were never reaped; swift-subprocess's `run`
/// (1.0.2) never returned for either, so the two boots held the host's two
/// boot turns for good and every later boot waited behind them (seen in 2
/// of 4 runs at the start of the suite; the cause inside the library is not
/// known yet). These commands take milliseconds, so running them in turn
/// costs next to nothing; it is a containment, not a fix.
public actor HostCommandGate {
  public static let shared = HostCommandGate()

  private var busy = false
  private var waiting: [CheckedContinuation<Void, Never>] = []

  /// Runs `body` once no other gated command runs, in arrival order.
  public func run<Result: Sendable>(_ body: @Sendable () async throws -> Result) async throws -> Result {
    if busy {
      await withCheckedContinuation { waiting.append($0) }
    } else {
      busy = true
    }
    defer {
      if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
    return try await body()
  }
}
