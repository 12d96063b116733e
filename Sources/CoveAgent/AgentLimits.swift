import CoveRules

/// Bounds on what one client can ask of the agent.
public struct AgentLimits: Sendable {
  /// Largest gRPC message accepted or sent.
  public var maxMessageBytes = GuestLimits.maxMessageBytes
  /// Calls open at once on one connection, advertised in the HTTP/2
  /// SETTINGS so that a client queues the next one (NIOHTTP2 enforces 100
  /// even when nothing is advertised, by closing the whole connection).
  public var maxConcurrentStreams = 100
  /// How long a stopping agent waits for open calls and connections before
  /// it closes them.
  public var shutdownGraceSeconds = 3
  /// Processes that may run at once.
  public var maxProcesses = 64
  /// Size of one chunk of a streamed file or of process output: 64 KiB less
  /// room for the message's framing, so that a chunk's message fits a
  /// 64 KiB buffer (one of 128 KiB is mapped and unmapped for each chunk).
  public var chunkBytes = (64 << 10) - 64
  /// Events kept for a slow attached client before the oldest are dropped.
  public var attachBufferEvents = 256
  /// Entries one List call returns at most.
  public var maxListEntries = 100_000

  public init() {}
}
