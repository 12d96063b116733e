import NIOCore

/// Splits a Server-Sent Events byte stream into events, however the bytes
/// are chunked.
struct EventStreamParser {
  struct Event: Equatable {
    var name: String
    var data: String
  }

  private var pending: [UInt8] = []

  mutating func feed(_ buffer: ByteBuffer) -> [Event] {
    pending.append(contentsOf: buffer.readableBytesView)
    var events: [Event] = []
    while let end = blockEnd() {
      let block = String(decoding: pending[..<end], as: UTF8.self)
      pending.removeFirst(end + 2)
      var name = "message"
      var data: [String] = []
      for line in block.split(separator: "\n", omittingEmptySubsequences: true) {
        if line.hasPrefix("event:") {
          name = line.dropFirst(6).trimmingCharacters(in: .whitespaces)
        } else if line.hasPrefix("data:") {
          data.append(String(line.dropFirst(5).drop(while: { $0 == " " })))
        }
      }
      events.append(Event(name: name, data: data.joined(separator: "\n")))
    }
    return events
  }

  /// Where the first complete event ends (before its blank line).
  private func blockEnd() -> Int? {
    guard pending.count >= 2 else { return nil }
    for index in 0..<(pending.count - 1) where pending[index] == 10 && pending[index + 1] == 10 { return index }
    return nil
  }
}
