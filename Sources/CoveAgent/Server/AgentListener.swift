import GRPCNIOTransportHTTP2TransportServices
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

// The agent takes `HTTP2ServerTransport.Custom` from the
// GRPCNIOTransportHTTP2TransportServices product, which re-exports the
// transport core. On Linux that product is the core alone: unlike the Posix
// product it does not link swift-nio-ssl, BoringSSL and swift-certificates,
// about 9.6 MB of a static agent that never speaks TLS.

/// Where the host reaches the agent.
public enum AgentEndpoint: Sendable {
  /// A Unix socket at this path (outside a VM, and inside one for guest tools).
  case unix(String)
  /// The virtio-serial port, one host session at a time.
  case serialPort(SerialPortSessions)
  /// AF_VSOCK on this port, where the guest has a vsock device.
  case vsock(UInt32)
}

/// Gives one gRPC server every connection the agent has, whatever carried it.
///
/// The transport wants one listening channel whose reads are configured
/// HTTP/2 connections. Here that channel is the read end of a pipe nothing
/// ever writes to: each endpoint hands it the channels it accepts (a Unix or
/// vsock connection, a session on the serial port), and the handlers on it
/// track them for graceful shutdown and configure them for gRPC. Everything
/// runs on one event loop, so a connection is configured before its first read.
struct AgentListener: HTTP2ServerTransport.ListenerFactory {
  typealias ConnectionChannel = HTTP2ServerTransport.ConnectionConfigurator.ConnectionChannel

  let loop: any EventLoop
  let endpoints: [AgentEndpoint]
  let logger: Logger

  var eventLoopGroup: any EventLoopGroup { loop }

  func makeListeningChannel(
    listenerConfigurator: HTTP2ServerTransport.ListenerConfigurator,
    connectionConfigurator: HTTP2ServerTransport.ConnectionConfigurator
  ) async throws -> NIOAsyncChannel<ConnectionChannel, Never> {
    var ends: [Int32] = [-1, -1]
    guard pipe(&ends) == 0 else { throw AgentListenerError("pipe: errno \(errno)") }
    for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
    let writeEnd = ends[1]
    let listener: NIOAsyncChannel<ConnectionChannel, Never>
    do {
      listener = try await NIOPipeBootstrap(group: loop).takingOwnershipOfDescriptor(input: ends[0]) { channel in
        listenerConfigurator.configure(channel: channel).flatMapThrowing {
          try channel.pipeline.syncOperations.addHandler(ConnectionAdopter(configurator: connectionConfigurator))
          return try NIOAsyncChannel<ConnectionChannel, Never>(wrappingChannelSynchronously: channel)
        }
      }
    } catch {
      // The read end stays open: NIO may have closed it already, and a
      // descriptor leaked by a failed start is safer than one closed twice.
      close(writeEnd)
      throw error
    }
    let channel = listener.channel
    let serialPorts = endpoints.compactMap { if case .serialPort(let port) = $0 { port } else { nil } }
    var opened: [any Channel] = []
    do {
      for endpoint in endpoints {
        if let server = try await open(endpoint, feeding: channel) { opened.append(server) }
      }
    } catch {
      for server in opened { server.close(promise: nil) }
      for port in serialPorts { port.detach() }
      try? await channel.close()
      close(writeEnd)
      throw error
    }
    for port in serialPorts { port.attach(to: channel) }
    channel.closeFuture.whenComplete { [opened] _ in
      for server in opened { server.close(promise: nil) }
      for port in serialPorts { port.detach() }
      close(writeEnd)
    }
    return listener
  }

  /// Starts accepting on `endpoint`; the listening socket, if it has one.
  private func open(_ endpoint: AgentEndpoint, feeding listener: any Channel) async throws -> (any Channel)? {
    // From a bootstrap's child initializer: a failed future closes the child.
    let adopt: @Sendable (any Channel) -> EventLoopFuture<Void> = { channel in
      Self.adopt(channel, into: listener)
        ? channel.eventLoop.makeSucceededVoidFuture()
        : channel.eventLoop.makeFailedFuture(AgentListenerError("the agent is not listening"))
    }
    switch endpoint {
    case .unix(let path):
      return try await ServerBootstrap(group: loop).childChannelInitializer(adopt)
        .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
    case .vsock(let port):
      do {
        return try await ServerBootstrap(group: loop).childChannelInitializer(adopt)
          .bind(to: VsockAddress(cid: .any, port: .init(rawValue: port))).get()
      } catch {
        // Most guests have no vsock device; the serial port serves them.
        logger.debug("no vsock listener", metadata: ["port": "\(port)", "error": "\(error)"])
        return nil
      }
    case .serialPort:
      return nil
    }
  }

  /// Passes an accepted channel to the listener, on the listener's event
  /// loop and before the channel's first read; false when the listener is
  /// gone, and the caller closes the channel.
  static func adopt(_ channel: any Channel, into listener: any Channel) -> Bool {
    guard channel.eventLoop === listener.eventLoop, listener.isActive else { return false }
    listener.pipeline.syncOperations.fireChannelRead(NIOAny(channel))
    return true
  }
}

/// Turns each channel the listener is handed into a gRPC HTTP/2 connection.
/// It sits after the quiescing handler, which must see the plain channel.
private final class ConnectionAdopter: ChannelInboundHandler {
  typealias InboundIn = any Channel
  typealias InboundOut = AgentListener.ConnectionChannel

  private let configurator: HTTP2ServerTransport.ConnectionConfigurator

  init(configurator: HTTP2ServerTransport.ConnectionConfigurator) {
    self.configurator = configurator
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let channel = unwrapInboundIn(data)
    configurator.configure(channel: channel, tls: .none).assumeIsolated().whenComplete { result in
      switch result {
      case .success(let connection):
        // The async channel after this hands reads on at read complete.
        context.fireChannelRead(self.wrapInboundOut(connection))
        context.fireChannelReadComplete()
      case .failure:
        channel.close(promise: nil)
      }
    }
  }
}

/// The agent could not listen where it was asked to.
public struct AgentListenerError: Error, CustomStringConvertible {
  public let description: String
  init(_ description: String) { self.description = description }
}
