import CoveMachine
import Synchronization
import Testing

/// The boot queue's logic, without VMs: FIFO order, cancellation, and a
/// bound shared between admissions (as between processes).
/// What the waiters did, in order (a class, so tasks can share it).
private final class Record<Element: Sendable>: Sendable {
  private let items = Mutex<[Element]>([])
  func append(_ item: Element) { items.withLock { $0.append(item) } }
  var all: [Element] { items.withLock { $0 } }
}

@Suite("Boot admission")
struct BootAdmissionTests {
  /// Yields until `condition` holds: the waits here are on state other
  /// tasks change, not on time.
  private func until(_ condition: () -> Bool) async {
    while !condition() { await Task.yield() }
  }

  @Test("waiters are admitted one at a time, in the order they came")
  func fifo() async throws {
    let admission = BootAdmission(limit: 1, hostWide: false)
    let order = Record<Int>()
    let first = try await admission.admit()
    var waiters: [Task<Void, any Error>] = []
    for index in 0..<3 {
      waiters.append(
        Task {
          let permit = try await admission.admit()
          order.append(index)
          permit.release()
        })
      await until { admission.waiting == index + 1 }
    }
    #expect(order.all.isEmpty)
    first.release()
    for waiter in waiters { try await waiter.value }
    #expect(order.all == [0, 1, 2])
    #expect(admission.waiting == 0)
  }

  @Test("a cancelled waiter leaves the queue and holds nothing")
  func cancellation() async throws {
    let admission = BootAdmission(limit: 1, hostWide: false)
    let held = try await admission.admit()
    let waiter = Task { try await admission.admit() }
    await until { admission.waiting == 1 }
    waiter.cancel()
    await #expect(throws: CancellationError.self) { try await waiter.value }
    #expect(admission.waiting == 0)
    held.release()
    // The permit is free again: a new admission gets it at once.
    let again = try await admission.admit()
    again.release()
  }

  @Test("releasing twice gives one permit back")
  func releaseOnce() async throws {
    let admission = BootAdmission(limit: 1, hostWide: false)
    let permit = try await admission.admit()
    permit.release()
    permit.release()
    let a = try await admission.admit()
    let b = Task { try await admission.admit() }
    await until { admission.waiting == 1 }
    a.release()
    try await b.value.release()
  }

  @Test("two admissions of one host share its permits, as two processes do")
  func hostWide() async throws {
    // A limit no other test or daemon here uses, so the pool is this test's.
    let limit = 173
    let one = BootAdmission(limit: limit)
    let other = BootAdmission(limit: limit)
    try #require(one.freeOnHost == limit, "the host-wide semaphore could not be made")
    var held: [BootPermit] = []
    for _ in 0..<limit { held.append(try await one.admit()) }
    #expect(one.freeOnHost == 0)
    let order = Record<String>()
    let waiter = Task {
      let permit = try await other.admit()
      order.append("admitted")
      return permit
    }
    // The other admission's waiter blocks on the host's semaphore.
    await until { other.waitingOnHost >= 1 }
    order.append("released")
    held.removeLast().release()
    let permit = try await waiter.value
    #expect(order.all == ["released", "admitted"])
    permit.release()
    for permit in held { permit.release() }
    #expect(one.freeOnHost == limit)
  }
}
