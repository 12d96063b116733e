import CCoveHost
import Foundation
import Synchronization

/// Admits guest boots to what the host can take: at most ``limit`` guests
/// boot at once, across every Cove process of this user (daemons, `cove
/// run`, tests, benchmarks), and the rest wait their turn in order.
///
/// A boot is CPU-bound (under TCG almost all of it is the guest kernel's
/// own work), so past the host's cores more boots at once only make every
/// one of them slower, until deadlines pass and load turns into failures.
/// Waiting instead keeps each admitted boot as fast as on a quiet host.
///
/// Two levels: a FIFO in this process (fair, cancellable, no thread per
/// waiter), and a host-wide System V semaphore that only the admitted few of
/// each process contend for. The kernel gives a dead process's permits back
/// (SEM_UNDO), so a crash never leaks capacity.
public final class BootAdmission: Sendable {
  /// How many guests may boot at once.
  public let limit: Int
  private let local: FIFOGate
  private let hostWide: Int32?

  /// The admission every boot goes through unless given another: its limit
  /// is ``defaultLimit``.
  public static let shared = BootAdmission(limit: defaultLimit)

  /// `COVE_MAX_BOOTING` when set; else the host's cores under TCG (a boot
  /// keeps one core busy) and twice that under KVM (a boot mostly waits).
  public static var defaultLimit: Int {
    if let value = ProcessInfo.processInfo.environment["COVE_MAX_BOOTING"], let limit = Int(value), limit > 0 {
      return min(limit, 255)
    }
    let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
    return min(Accelerator.detect() == .kvm ? 2 * cores : cores, 255)
  }

  /// - Parameter hostWide: share the limit with the other Cove processes of
  ///   this user (through a key file in /tmp); false keeps it to this process.
  public init(limit: Int, hostWide: Bool = true) {
    self.limit = max(1, min(limit, 255))
    local = FIFOGate(permits: self.limit)
    if hostWide {
      let id = cove_host_semaphore("/tmp/cove-\(getuid()).boot", Int32(self.limit))
      self.hostWide = id >= 0 ? id : nil
    } else {
      self.hostWide = nil
    }
  }

  /// Waits for a turn to boot. Throws `CancellationError` when the waiting
  /// task is cancelled (the waiter leaves the queue; nothing is held).
  public func admit() async throws -> BootPermit {
    try await local.enter()
    guard let hostWide else { return BootPermit(release: { self.local.leave() }) }
    do {
      try await Self.take(hostWide)
    } catch {
      local.leave()
      throw error
    }
    return BootPermit(release: {
      _ = cove_host_semaphore_give(hostWide)
      self.local.leave()
    })
  }

  /// Guests waiting for a turn in this process.
  public var waiting: Int { local.waiting }

  /// Tasks of any process blocked on the host-wide permits now (0 without them).
  public var waitingOnHost: Int { hostWide.map { max(0, Int(cove_host_semaphore_waiting($0))) } ?? 0 }

  /// Host-wide permits free now (nil without them).
  public var freeOnHost: Int? { hostWide.map { Int(cove_host_semaphore_free($0)) } }

  /// Takes a host-wide permit on a thread of its own (the wait blocks), in
  /// slices of 250 ms so that cancellation is seen; a permit given back
  /// wakes the waiter at once.
  private static func take(_ id: Int32) async throws {
    while true {
      try Task.checkCancellation()
      let taken: Bool = await withCheckedContinuation { continuation in
        Thread.detachNewThread {
          var result: Int32
          repeat { result = cove_host_semaphore_take(id, 250) } while result != 0 && errno == EINTR
          continuation.resume(returning: result == 0)
        }
      }
      if taken { return }
    }
  }
}

/// A turn to boot; ``release()`` gives it back (once; later calls do nothing).
public final class BootPermit: Sendable {
  private let action: Mutex<(@Sendable () -> Void)?>

  init(release: @escaping @Sendable () -> Void) { action = Mutex(release) }

  public func release() {
    let release = action.withLock { action in
      defer { action = nil }
      return action
    }
    release?()
  }

  deinit { release() }
}

/// A counting gate whose waiters enter in the order they came, and leave the
/// queue when their task is cancelled.
final class FIFOGate: Sendable {
  private struct State {
    var free: Int
    var nextTicket = 0
    var waiters: [(ticket: Int, continuation: CheckedContinuation<Void, any Error>)] = []
  }
  private let state: Mutex<State>

  init(permits: Int) { state = Mutex(State(free: permits)) }

  var waiting: Int { state.withLock { $0.waiters.count } }

  func enter() async throws {
    let ticket = state.withLock { state in
      defer { state.nextTicket += 1 }
      return state.nextTicket
    }
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        let admitted = state.withLock { state in
          if Task.isCancelled { return Result<Bool, any Error>.failure(CancellationError()) }
          if state.free > 0 && state.waiters.isEmpty {
            state.free -= 1
            return .success(true)
          }
          state.waiters.append((ticket, continuation))
          return .success(false)
        }
        switch admitted {
        case .success(true): continuation.resume()
        case .success(false): break
        case .failure(let error): continuation.resume(throwing: error)
        }
      }
    } onCancel: {
      let cancelled = state.withLock { state in
        state.waiters.firstIndex { $0.ticket == ticket }.map { state.waiters.remove(at: $0).continuation }
      }
      cancelled?.resume(throwing: CancellationError())
    }
  }

  func leave() {
    let next = state.withLock { state in
      if state.waiters.isEmpty {
        state.free += 1
        return nil as CheckedContinuation<Void, any Error>?
      }
      return state.waiters.removeFirst().continuation
    }
    next?.resume()
  }
}
