import CCoveHost
import Dispatch
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Waits for a process to end on the kernel's word: a pidfd becomes
/// readable when the process exits, also when it is not this process's
/// child (a QEMU that an earlier daemon started). Nothing polls.
enum ProcessExit {
  private static let queue = DispatchQueue(label: "cove.process-exit")

  /// True once `pid` has exited (or never existed), false when `limit`
  /// passed first.
  static func wait(for pid: pid_t, within limit: Duration) async -> Bool {
    let fd = cove_pidfd_open(pid)
    guard fd >= 0 else {
      // No such process: gone already. Without pidfds (ENOSYS), say what
      // /proc says now rather than wait blind.
      return errno == ESRCH || !processIsAlive(pid)
    }
    // A zombie child has exited too; its pidfd is readable at once.
    let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
    let exited = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
      let pending = Mutex<CheckedContinuation<Bool, Never>?>(continuation)
      let finish: @Sendable (Bool) -> Void = { exited in pending.withLock { $0.take() }?.resume(returning: exited) }
      source.setEventHandler { finish(true) }
      source.setCancelHandler { close(fd) }
      source.resume()
      let nanoseconds = limit.components.seconds * 1_000_000_000 + limit.components.attoseconds / 1_000_000_000
      queue.asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) { finish(false) }
    }
    source.cancel()
    return exited
  }
}
