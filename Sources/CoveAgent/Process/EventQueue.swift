import CoveAgentProto
import Synchronization

/// A bounded queue of process events with one consumer. `send` waits while
/// the queue is full, which is how a slow client slows a process down
/// (through its output pipe); `offer` drops the oldest event instead, for
/// clients that attached to a process they do not own.
final class EventQueue: Sendable {
  private struct State {
    var items: [Cove_Agent_V1_ProcessEvent] = []
    var head = 0
    var finished = false
    var consumer: CheckedContinuation<Cove_Agent_V1_ProcessEvent?, Never>?
    var producers: [CheckedContinuation<Void, Never>] = []
    var count: Int { items.count - head }

    mutating func pop() -> Cove_Agent_V1_ProcessEvent? {
      guard head < items.count else { return nil }
      let item = items[head]
      head += 1
      if head > 64 && head * 2 > items.count {
        items.removeFirst(head)
        head = 0
      }
      return item
    }
  }

  private let state = Mutex(State())
  let capacity: Int

  init(capacity: Int) { self.capacity = max(1, capacity) }

  /// Queues an event, waiting while the queue is full. Returns false when the
  /// consumer has gone.
  @discardableResult
  func send(_ event: Cove_Agent_V1_ProcessEvent) async -> Bool {
    while true {
      enum Step { case done(Bool), wait }
      let step: Step = state.withLock { s in
        if s.finished { return .done(false) }
        if let consumer = s.consumer {
          s.consumer = nil
          consumer.resume(returning: event)
          return .done(true)
        }
        if s.count < capacity {
          s.items.append(event)
          return .done(true)
        }
        return .wait
      }
      switch step {
      case .done(let delivered): return delivered
      case .wait:
        await withCheckedContinuation { continuation in
          let resumeNow = state.withLock { s in
            if s.finished || s.count < capacity { return true }
            s.producers.append(continuation)
            return false
          }
          if resumeNow { continuation.resume() }
        }
      }
    }
  }

  /// Queues an event without waiting; drops the oldest one when full.
  func offer(_ event: Cove_Agent_V1_ProcessEvent) {
    state.withLock { s in
      guard !s.finished else { return }
      if let consumer = s.consumer {
        s.consumer = nil
        consumer.resume(returning: event)
        return
      }
      if s.count >= capacity { _ = s.pop() }
      s.items.append(event)
    }
  }

  /// Ends the queue: the consumer receives what is queued, then nil.
  func finish() {
    let (consumer, producers) = state.withLock { s in
      s.finished = true
      let c = s.count == 0 ? s.consumer : nil
      if c != nil { s.consumer = nil }
      let p = s.producers
      s.producers = []
      return (c, p)
    }
    consumer?.resume(returning: nil)
    for p in producers { p.resume() }
  }

  /// The next event, or nil once the queue is finished and empty. Cancelling
  /// the calling task finishes the queue.
  func next() async -> Cove_Agent_V1_ProcessEvent? {
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Cove_Agent_V1_ProcessEvent?, Never>) in
        let (result, wake): (Cove_Agent_V1_ProcessEvent??, [CheckedContinuation<Void, Never>]) =
          state.withLock { s in
            if let item = s.pop() {
              let p = s.producers
              s.producers = []
              return (.some(item), p)
            }
            if s.finished { return (.some(nil), []) }
            s.consumer = continuation
            return (nil, [])
          }
        for p in wake { p.resume() }
        if let result { continuation.resume(returning: result) }
      }
    } onCancel: {
      finish()
    }
  }
}
