import Foundation

/// One way into the guest that the bench measures: Cove's agent,
/// qemu-guest-agent, or SSH. Every peer reaches the same VM.
protocol Peer {
  var name: String { get }
  /// Starts `/bin/true` in the guest and returns once it has exited (0).
  func runTrue() async throws
  /// Writes `data` to `path` in the guest.
  func write(_ data: Data, to path: String) async throws
  /// Reads the file at `path` in the guest.
  func read(_ path: String) async throws -> Data
}
