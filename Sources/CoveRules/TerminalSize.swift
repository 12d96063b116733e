/// A terminal's size in character cells, within the bounds every layer
/// (the agent, the API, the CLI) accepts.
public struct TerminalSize: Hashable, Sendable {
  public var rows: UInt32
  public var cols: UInt32

  /// Rows and columns a terminal may have. The kernel's winsize holds 16
  /// bits; 4096 is far past any real screen and is what the agent always
  /// allowed, so guests built before this rule keep agreeing with the host.
  public static let bounds: ClosedRange<UInt32> = 1...4096

  /// A size within ``bounds``; nil otherwise.
  public init?(rows: UInt32, cols: UInt32) {
    guard Self.bounds.contains(rows), Self.bounds.contains(cols) else { return nil }
    self.rows = rows
    self.cols = cols
  }

  /// What a refused size is told.
  public static let rule = "terminal rows and cols must be \(bounds.lowerBound) to \(bounds.upperBound)"
}
