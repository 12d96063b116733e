import GRPCCore
import GRPCNIOTransportHTTP2TransportServices
import Synchronization

/// Lets a service or a signal stop the server that hosts it, and lets the
/// server's owner wait for that request.
final class ServerStopper: Sendable {
  private struct State {
    var server: GRPCServer<HTTP2ServerTransport.Custom<AgentListener>>?
    var stopped = false
    var waiters: [CheckedContinuation<Void, Never>] = []
  }

  private let state = Mutex(State())

  func set(_ server: GRPCServer<HTTP2ServerTransport.Custom<AgentListener>>) {
    let stopNow = state.withLock { s in
      s.server = server
      return s.stopped
    }
    if stopNow { server.beginGracefulShutdown() }
  }

  /// Begins a graceful shutdown; idempotent.
  func stop() {
    let (server, waiters) = state.withLock { s in
      s.stopped = true
      let waiters = s.waiters
      s.waiters = []
      return (s.server, waiters)
    }
    server?.beginGracefulShutdown()
    for waiter in waiters { waiter.resume() }
  }

  /// Returns once `stop` was called.
  func waitUntilStopped() async {
    await withCheckedContinuation { continuation in
      let now = state.withLock { s in
        if s.stopped { return true }
        s.waiters.append(continuation)
        return false
      }
      if now { continuation.resume() }
    }
  }
}
