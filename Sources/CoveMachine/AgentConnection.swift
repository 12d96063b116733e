import CoveAgentProto
import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// The host end of the agent channel: a gRPC client over the Unix socket
/// QEMU makes for the VM's virtio-serial port. The transport reconnects by
/// itself, quickly, when the connection drops. Above the machine layer it
/// is a ``GuestAgent`` (GuestAgent+GRPC.swift); the gRPC clients stay
/// public for the benchmarks and the machine tests.
public final class AgentConnection: Sendable {
  public typealias Transport = HTTP2ClientTransport.Posix

  public let client: GRPCClient<Transport>
  public let processes: Cove_Agent_V1_Process.Client<Transport>
  public let files: Cove_Agent_V1_Files.Client<Transport>
  public let system: Cove_Agent_V1_System.Client<Transport>
  public let lifecycle: Cove_Agent_V1_Lifecycle.Client<Transport>
  public let services: Cove_Agent_V1_Services.Client<Transport>
  private let connections: Task<Void, any Error>

  public init(socketPath: String) throws {
    let transport = try HTTP2ClientTransport.Posix(
      target: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext,
      config: .defaults { config in
        // A guest's socket is local: retry soon rather than after seconds.
        config.backoff = .init(initial: .milliseconds(20), max: .milliseconds(250), multiplier: 1.5, jitter: 0.1)
      })
    let client = GRPCClient(transport: transport)
    self.client = client
    processes = .init(wrapping: client)
    files = .init(wrapping: client)
    system = .init(wrapping: client)
    lifecycle = .init(wrapping: client)
    services = .init(wrapping: client)
    connections = Task { try await client.runConnections() }
  }

  /// Whether the agent answers a health check within `timeout`.
  public func answers(within timeout: Duration) async -> Bool {
    (try? await health(timeout: timeout)) != nil
  }

  /// Ends the connection: gracefully when the agent is there, at once
  /// (after a second) when it is not, e.g. when the handshake never finished.
  public func close() async {
    client.beginGracefulShutdown()
    let connections = self.connections
    let forced = Task {
      try await Task.sleep(for: .seconds(1))
      connections.cancel()
    }
    _ = await connections.result
    forced.cancel()
  }
}
