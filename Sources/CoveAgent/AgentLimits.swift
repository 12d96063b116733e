/// Bounds on what one client can ask of the agent.
public struct AgentLimits: Sendable {
  /// Largest gRPC message accepted or sent.
  public var maxMessageBytes = 4 << 20
  /// Processes that may run at once.
  public var maxProcesses = 64
  /// Size of one chunk of a streamed file or of process output.
  public var chunkBytes = 64 << 10
  /// Events kept for a slow attached client before the oldest are dropped.
  public var attachBufferEvents = 256
  /// Entries one List call returns at most.
  public var maxListEntries = 100_000

  public init() {}
}
