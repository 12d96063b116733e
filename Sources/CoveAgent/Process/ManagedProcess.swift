import CCoveSystem
import CoveAgentProto
import NIOCore
import NIOPosix
import Synchronization

// Data only: FoundationEssentials keeps ICU and CoreFoundation out of the agent.
#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// One process the agent started: its output pumps, its subscribers and its
/// end. The process record lives until the process exited and every byte of
/// its output was delivered.
final class ManagedProcess: Sendable {
  enum Stream: Sendable { case stdout, stderr }

  let pid: pid_t
  let tag: String
  let argv: [String]
  let background: Bool
  /// A descriptor of the terminal's master side, kept for resizing.
  let ptyMaster: Int32?

  private struct Subscriber {
    var queue: EventQueue
    var owner: Bool
  }

  /// An output pipe being read: its channel, a copy of its descriptor to
  /// ask the kernel whether data waits unread, and since when its pump has
  /// been waiting (nil while it publishes, or before it started).
  private struct Output {
    var channel: any Channel
    var probe: Int32
    var idleSince: UInt64?
    var isQuiet: Bool { idleSince != nil && cove_pending_bytes(probe) == 0 }
  }

  private struct State {
    var subscribers: [UInt64: Subscriber] = [:]
    var nextSubscriber: UInt64 = 0
    var status: ExitStatus?
    var statusWaiters: [CheckedContinuation<ExitStatus, Never>] = []
    var timedOut = false
    /// When the group was killed for a timeout: its outputs are closed
    /// soon after, even if a member that left the group keeps writing.
    var killedAt: UInt64?
    var stdin: (any Channel)?
    var outputs: [ObjectIdentifier: Output] = [:]
    /// Set as the exit is published: from then on the command is over for
    /// its caller, and a caller that ends its call on reading the exit
    /// (before the record is finished) must not kill what the command
    /// left running in the background.
    var exitReported = false
    var finished = false
  }

  private let state = Mutex(State())

  init(pid: pid_t, tag: String, argv: [String], background: Bool, ptyMaster: Int32?) {
    self.pid = pid
    self.tag = tag
    self.argv = argv
    self.background = background
    self.ptyMaster = ptyMaster
  }

  var info: Cove_Agent_V1_ProcessInfo {
    .with {
      $0.pid = UInt32(pid)
      $0.tag = tag
      $0.argv = argv
      $0.pty = ptyMaster != nil
      $0.background = background
    }
  }

  /// Adds a client that receives every event from now on. The owner's queue
  /// applies back-pressure; the others drop their oldest events when slow.
  /// Returns nil when the process already ended.
  func subscribe(_ queue: EventQueue, owner: Bool) -> UInt64? {
    state.withLock { s in
      if s.finished { return nil }
      let id = s.nextSubscriber
      s.nextSubscriber += 1
      s.subscribers[id] = Subscriber(queue: queue, owner: owner)
      return id
    }
  }

  func unsubscribe(_ id: UInt64) {
    state.withLock { s in _ = s.subscribers.removeValue(forKey: id) }
  }

  func publish(_ event: Cove_Agent_V1_ProcessEvent) async {
    let subscribers = state.withLock { Array($0.subscribers) }
    for (id, subscriber) in subscribers {
      if subscriber.owner {
        if await !subscriber.queue.send(event) { unsubscribe(id) }
      } else {
        subscriber.queue.offer(event)
      }
    }
  }

  // MARK: Exit

  /// Called by the reaper.
  func exited(_ status: ExitStatus) {
    let waiters = state.withLock { s in
      s.status = status
      let w = s.statusWaiters
      s.statusWaiters = []
      return w
    }
    for w in waiters { w.resume(returning: status) }
  }

  func exitStatus() async -> ExitStatus {
    await withCheckedContinuation { continuation in
      let status = state.withLock { s -> ExitStatus? in
        if let status = s.status { return status }
        s.statusWaiters.append(continuation)
        return nil
      }
      if let status { continuation.resume(returning: status) }
    }
  }

  var hasExited: Bool { state.withLock { $0.status != nil } }

  /// Signals the process group, also after its leader exited: members it
  /// left behind (`sh -c 'writer & exit'`) are still in the group, and the
  /// group's id cannot be given to another process while one of them lives.
  /// The record lives until its output ended, so until then the group is
  /// this process's; once the record is finished nothing is sent.
  func kill(signal: Int32 = SIGKILL, timedOut: Bool = false) {
    let live = state.withLock { s in
      guard !s.finished, !s.exitReported else { return false }
      if timedOut {
        s.timedOut = true
        s.killedAt = monotonicMilliseconds()
      }
      return true
    }
    if live { _ = Glibc.kill(-pid, signal) }
  }

  /// Ends a process whose caller went away: kills its group and closes its
  /// output now (nobody reads it), so that its slot is free as soon as the
  /// reaper has seen the leader go, whatever a member that left the group
  /// still holds open.
  func abandon() {
    kill()
    let channels = state.withLock { s in s.finished ? [] : s.outputs.values.map(\.channel) }
    for channel in channels { channel.close(promise: nil) }
  }

  // MARK: Input and output

  func attachStdin(_ channel: any Channel) {
    state.withLock { $0.stdin = channel }
  }

  var hasStdin: Bool { state.withLock { $0.stdin != nil } }

  func writeStdin(_ bytes: [UInt8], close: Bool) async throws(AgentError) {
    guard let channel = state.withLock({ $0.stdin }) else {
      throw AgentError(.failedPrecondition, "process \(pid) has no open stdin; start it with stdin")
    }
    do {
      if !bytes.isEmpty {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).get()
      }
      if close {
        if ptyMaster != nil {
          // A terminal has no end of file; ^D at the start of a line is one.
          try await channel.writeAndFlush(channel.allocator.buffer(bytes: [0x04])).get()
        } else {
          state.withLock { $0.stdin = nil }
          try await channel.close().get()
        }
      }
    } catch {
      throw AgentError(.failedPrecondition, "stdin of process \(pid) is closed")
    }
  }

  /// Registers the output channels before anything reads them, so that the
  /// lingering-output watchdog never finds the table empty because a pump
  /// had not started yet (it then gave up, and the exit waited for the
  /// last descendant to close the output). A channel counts as busy until
  /// its pump starts: a pump that a loaded machine schedules late must not
  /// find its output closed, unread.
  /// `probe` is a copy of the channel's descriptor, which the record
  /// closes when the pump ends.
  func watchOutputs(_ channels: [(channel: any Channel, probe: Int32)]) {
    state.withLock { s in
      for (channel, probe) in channels {
        s.outputs[ObjectIdentifier(channel)] = Output(channel: channel, probe: probe, idleSince: nil)
      }
    }
  }

  /// Reads one output descriptor until it ends and publishes what it reads.
  /// The channel was registered by `watchOutputs`.
  func pump(_ channel: NIOAsyncChannel<ByteBuffer, Never>, _ stream: Stream) async {
    let key = ObjectIdentifier(channel.channel)
    state.withLock { $0.outputs[key]?.idleSince = monotonicMilliseconds() }
    do {
      try await channel.executeThenClose { inbound in
        for try await buffer in inbound {
          state.withLock { $0.outputs[key]?.idleSince = nil }
          var event = Cove_Agent_V1_ProcessEvent()
          let bytes = Data(buffer.readableBytesView)
          switch stream {
          case .stdout: event.stdout = bytes
          case .stderr: event.stderr = bytes
          }
          await publish(event)
          state.withLock { $0.outputs[key]?.idleSince = monotonicMilliseconds() }
        }
      }
    } catch {
      // A terminal's master side reads EIO once the last slave closed: its end.
    }
    if let output = state.withLock({ $0.outputs.removeValue(forKey: key) }), output.probe >= 0 { close(output.probe) }
  }

  /// After the process exited, closes output that a surviving descendant
  /// keeps open once nothing has arrived on it for `idle` milliseconds, so
  /// that the exit is reported. After a timeout's kill, every output is
  /// closed `idle` milliseconds after the later of the kill and the exit,
  /// busy or not: a member that left the group must not hold the call open.
  func closeLingeringOutput(afterIdleMilliseconds idle: UInt64 = 300) async {
    _ = await exitStatus()
    // Silence counts from the exit on: what the process wrote just before
    // it ended may still wait in the kernel to be read.
    let exitedAt = monotonicMilliseconds()
    while true {
      let (open, closing) = state.withLock { s -> (Bool, [any Channel]) in
        let now = monotonicMilliseconds()
        if let killedAt = s.killedAt, now - max(killedAt, exitedAt) >= idle {
          return (!s.outputs.isEmpty, s.outputs.values.map(\.channel))
        }
        // Quiet: the pump has waited `idle` ms since the exit and nothing
        // waits in the pipe (a loaded machine may read it late: not lost).
        let quiet = s.outputs.values.filter { output in
          output.isQuiet && output.idleSince.map { now - max($0, exitedAt) >= idle } ?? false
        }
        return (!s.outputs.isEmpty, quiet.map(\.channel))
      }
      if !open || Task.isCancelled { return }
      for channel in closing { channel.close(promise: nil) }
      try? await Task.sleep(for: .milliseconds(50))
    }
  }

  /// Publishes the exit to every subscriber and ends their streams.
  func finish(_ status: ExitStatus) async {
    var event = Cove_Agent_V1_ProcessEvent()
    let timedOut = state.withLock { s in
      s.exitReported = true
      return s.timedOut
    }
    event.exited = .with {
      switch status {
      case .exited(let code): $0.code = code
      case .signaled(let signal): $0.signal = signal
      }
      $0.timedOut = timedOut
    }
    await publish(event)
    let (subscribers, stdin) = state.withLock { s in
      s.finished = true
      let subs = s.subscribers.values.map(\.queue)
      s.subscribers = [:]
      let stdin = s.stdin
      s.stdin = nil
      return (subs, stdin)
    }
    for queue in subscribers { queue.finish() }
    try? await stdin?.close()
    if let ptyMaster { close(ptyMaster) }
  }
}
