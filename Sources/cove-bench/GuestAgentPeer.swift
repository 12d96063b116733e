import CoveMachine
import Foundation

/// qemu-guest-agent: `guest-exec` with `guest-exec-status` polled back to
/// back (as fast as it can answer), and `guest-file-*` with base64 chunks.
struct GuestAgentPeer: Peer {
  let name = "qemu-guest-agent"
  let client: GuestAgentClient
  /// Bytes per guest-file-write and guest-file-read (guest-file-read's
  /// default count is 4 KiB; a larger one is kinder to it).
  var chunkBytes = 1 << 20
  var timeout: Duration = .seconds(120)

  func runTrue() async throws {
    let started = try client.execute("guest-exec", ["path": .string("/bin/true")])
    guard case .object(let fields) = started, case .number(let pid)? = fields["pid"] else {
      throw BenchError.guestAgent("guest-exec returned \(started)")
    }
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
      let status = try client.execute("guest-exec-status", ["pid": .number(pid)])
      guard case .object(let fields) = status else { throw BenchError.guestAgent("guest-exec-status: \(status)") }
      if fields["exited"] == .bool(true) {
        guard fields["exitcode"] == .number(0) else { throw BenchError.guestAgent("/bin/true ended: \(status)") }
        return
      }
    }
    throw BenchError.timeout(what: "guest-exec /bin/true", limit: timeout)
  }

  func write(_ data: Data, to path: String) async throws {
    let handle = try open(path, mode: "w")
    defer { _ = try? client.execute("guest-file-close", ["handle": .number(Double(handle))]) }
    var offset = data.startIndex
    while offset < data.endIndex {
      let end = min(offset + chunkBytes, data.endIndex)
      let encoded = data[offset..<end].base64EncodedString()
      let reply = try client.executeRaw(
        "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":\(handle),\"buf-b64\":\"\(encoded)\"}}")
      guard case .object(let fields) = reply, fields["count"] == .number(Double(end - offset)) else {
        throw BenchError.guestAgent("guest-file-write returned \(reply)")
      }
      offset = end
    }
    try client.execute("guest-file-close", ["handle": .number(Double(handle))])
  }

  func read(_ path: String) async throws -> Data {
    let handle = try open(path, mode: "r")
    defer { _ = try? client.execute("guest-file-close", ["handle": .number(Double(handle))]) }
    var data = Data()
    while true {
      let reply = try client.execute(
        "guest-file-read", ["handle": .number(Double(handle)), "count": .number(Double(chunkBytes))])
      guard case .object(let fields) = reply, case .string(let encoded)? = fields["buf-b64"],
        let bytes = Data(base64Encoded: encoded)
      else { throw BenchError.guestAgent("guest-file-read returned something else") }
      data.append(bytes)
      if fields["eof"] == .bool(true) || bytes.isEmpty { return data }
    }
  }

  private func open(_ path: String, mode: String) throws -> Int {
    let reply = try client.execute("guest-file-open", ["path": .string(path), "mode": .string(mode)])
    guard case .number(let handle) = reply else { throw BenchError.guestAgent("guest-file-open returned \(reply)") }
    return Int(handle)
  }
}
