import GRPCCore
import GRPCNIOTransportHTTP2TransportServices
import Synchronization

/// Lets a service or a signal stop the server that hosts it.
final class ServerStopper: Sendable {
  private let server = Mutex<GRPCServer<HTTP2ServerTransport.Custom<AgentListener>>?>(nil)
  private let stopped = Mutex(false)

  func set(_ server: GRPCServer<HTTP2ServerTransport.Custom<AgentListener>>) {
    let stopNow = stopped.withLock { $0 }
    self.server.withLock { $0 = server }
    if stopNow { server.beginGracefulShutdown() }
  }

  func stop() {
    stopped.withLock { $0 = true }
    server.withLock { $0 }?.beginGracefulShutdown()
  }
}
