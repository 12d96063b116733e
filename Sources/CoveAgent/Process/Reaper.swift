import CCoveSystem
import CoveRules
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// How a child ended, as waitid reports it; the type (and its 128 + signal
/// rule) is shared with the host.
public typealias ExitStatus = CoveRules.ExitStatus

/// Waits for every child of the agent, its own and adopted orphans alike, on
/// a thread of its own, and reports each one to `onExit`. Without children it
/// sleeps until `childStarted()` wakes it (or a second passes, for orphans).
public final class Reaper: Sendable {
  private let wake: (read: Int32, write: Int32)
  private let onExit: @Sendable (pid_t, ExitStatus) -> Void

  public init(onExit: @escaping @Sendable (pid_t, ExitStatus) -> Void) {
    var fds: [Int32] = [-1, -1]
    _ = cove_pipe(&fds, 1)
    wake = (fds[0], fds[1])
    self.onExit = onExit
  }

  /// Starts the reaping thread; it runs for the life of the process.
  public func start() {
    let box = Unmanaged.passRetained(self)
    var thread = pthread_t()
    pthread_create(
      &thread, nil,
      { raw in
        let reaper = Unmanaged<Reaper>.fromOpaque(raw!).takeRetainedValue()
        reaper.run()
        return nil
      }, box.toOpaque())
    pthread_detach(thread)
  }

  /// Tells the reaper that a child exists now.
  public func childStarted() {
    var byte: UInt8 = 1
    _ = write(wake.write, &byte, 1)
  }

  private func run() {
    while true {
      var info = siginfo_t()
      let rc = waitid(P_ALL, 0, &info, WEXITED)
      if rc == 0 {
        let pid = info._sifields._sigchld.si_pid
        let status = info._sifields._sigchld.si_status
        onExit(pid, info.si_code == CLD_EXITED ? .exited(status) : .signaled(status))
        continue
      }
      if errno == EINTR { continue }
      // No children: sleep until one is started, draining the wake pipe.
      var pfd = pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)
      _ = poll(&pfd, 1, 1000)
      var sink = [UInt8](repeating: 0, count: 64)
      while read(wake.read, &sink, sink.count) > 0 {}
    }
  }
}
