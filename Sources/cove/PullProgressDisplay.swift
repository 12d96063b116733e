import CoveOCI
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Shows a pull's progress on standard error: on a terminal a bar per layer,
/// redrawn in place at most ten times a second; into a pipe or a file one
/// plain line per step (a layer found in the cache, fetched, unpacked).
final class PullProgressDisplay: @unchecked Sendable {
  private struct Layer {
    var digest: Digest
    var size: Int64
    var received: Int64 = 0
    var state = "waiting"
  }

  private let lock = NSLock()
  private let terminal: Bool
  private var layers: [Layer] = []
  private var drawnLines = 0
  private var lastDraw = ContinuousClock.now - .seconds(1)
  private var status = ""

  init(terminal: Bool = isatty(STDERR_FILENO) == 1) {
    self.terminal = terminal
  }

  var handler: PullProgress { { [self] event in self.handle(event) } }

  func handle(_ event: PullEvent) {
    lock.withLock {
      switch event {
      case .resolved(let manifest, let platform, let found):
        layers = found.map { Layer(digest: $0.digest, size: $0.size) }
        line(
          "image \(manifest.short) (\(platform)), \(found.count) layers, \(Self.size(found.reduce(0) { $0 + $1.size }))"
        )
      case .cached(let digest, let size):
        update(digest) { $0.state = "cached" }
        plain("layer \(digest.short): in the cache (\(Self.size(size)))")
      case .fetching(let digest, let received, _):
        update(digest) {
          $0.received = received
          $0.state = "fetching"
        }
      case .fetched(let digest, let size):
        update(digest) {
          $0.received = size
          $0.state = "fetched"
        }
        plain("layer \(digest.short): fetched \(Self.size(size))")
      case .unpacking(let index, let count, let digest):
        status = "unpacking layer \(index + 1)/\(count)"
        plain("layer \(digest.short): unpacking (\(index + 1)/\(count))")
      case .building:
        status = "writing the ext4 image"
        plain(status)
      }
      redraw(force: !(event.isFetching))
    }
  }

  /// Leaves the last drawing on screen and moves below it.
  func finish() {
    lock.withLock {
      redraw(force: true)
      drawnLines = 0
    }
  }

  private func update(_ digest: Digest, _ change: (inout Layer) -> Void) {
    for index in layers.indices where layers[index].digest == digest { change(&layers[index]) }
  }

  private func line(_ text: String) {
    write(text + "\n")
    if terminal { drawnLines = 0 }
  }

  private func plain(_ text: String) {
    if !terminal { write(text + "\n") }
  }

  private func redraw(force: Bool) {
    guard terminal, !layers.isEmpty else { return }
    let now = ContinuousClock.now
    guard force || now - lastDraw >= .milliseconds(100) else { return }
    lastDraw = now
    var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)A" : ""
    for layer in layers {
      let fraction = layer.size > 0 ? Double(layer.received) / Double(layer.size) : 1
      let filled = layer.state == "cached" ? 30 : Int(fraction * 30)
      let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: 30 - filled)
      let amount =
        layer.state == "cached"
        ? "cached \(Self.size(layer.size))" : "\(Self.size(layer.received)) / \(Self.size(layer.size))"
      text += "\u{1B}[2K\(layer.digest.short) [\(bar)] \(amount)\n"
    }
    text += "\u{1B}[2K\(status)\n"
    drawnLines = layers.count + 1
    write(text)
  }

  private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

  static func size(_ bytes: Int64) -> String {
    bytes >= 1 << 20
      ? String(format: "%.1f MiB", Double(bytes) / 1_048_576) : String(format: "%.1f KiB", Double(bytes) / 1024)
  }
}

extension PullEvent {
  var isFetching: Bool {
    if case .fetching = self { return true }
    return false
  }
}
