import NIOCore

/// Runs the agent's tasks on its event loop thread.
///
/// Without it, a call hops between Swift's global pool and the event loop
/// that does its I/O at every step: a message written, a pipe read, a
/// process started each wake the other thread and switch to it (36 context
/// switches per exec of /bin/true, measured on the host; 14 with this
/// executor). In a guest under TCG every switch is paid in emulated
/// instructions by the one vCPU that also runs the commands. On the loop's
/// own thread, enqueueing a job only appends it to the loop's queue.
///
/// Work that blocks its thread now blocks the loop too; in a guest with one
/// vCPU the global pool has one thread as well, so a blocking call stalled
/// every other call already.
final class EventLoopExecutor: TaskExecutor {
  let loop: any EventLoop

  init(_ loop: any EventLoop) { self.loop = loop }

  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
  }
}
