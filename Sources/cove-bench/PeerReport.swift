/// What `cove-bench peers` measured, printed for people and written as JSON
/// for bench/run-all.
struct PeerReport: Codable {
  static let cove = "cove-agent"
  static let peers = ["qemu-guest-agent", "ssh"]

  var iterations: Int
  var fileIterations: Int
  var fileBytes: Int
  var accelerator: String
  var memoryMiB: Int
  var exec: [String: Samples] = [:]
  var fileWrite: [String: Samples] = [:]
  var fileRead: [String: Samples] = [:]
  var idleRSSKiB: [String: Int] = [:]
  var afterRSSKiB: [String: Int] = [:]
  /// cove/peer for each measure: times for exec (lower is better),
  /// throughput for files (higher is better), KiB for RSS (lower is better).
  var ratios: [String: Double] {
    var ratios: [String: Double] = [:]
    for peer in Self.peers {
      if let cove = exec[Self.cove]?.p50, let other = exec[peer]?.p50 {
        ratios["exec_p50_time.cove_over_\(peer)"] = cove / other
      }
      if let cove = roundTrip(Self.cove), let other = roundTrip(peer) {
        ratios["file_throughput.cove_over_\(peer)"] = other / cove
      }
    }
    if let cove = idleRSSKiB[Self.cove], let other = idleRSSKiB["qemu-guest-agent"] {
      ratios["idle_rss.cove_over_qemu-guest-agent"] = Double(cove) / Double(other)
    }
    return ratios
  }

  /// Median write plus median read, in milliseconds.
  func roundTrip(_ peer: String) -> Double? {
    guard let write = fileWrite[peer]?.p50, let read = fileRead[peer]?.p50 else { return nil }
    return write + read
  }

  enum CodingKeys: String, CodingKey {
    case iterations, fileIterations, fileBytes, accelerator, memoryMiB, exec, fileWrite, fileRead, idleRSSKiB
    case afterRSSKiB, ratios
  }

  init(iterations: Int, fileIterations: Int, fileBytes: Int, accelerator: String, memoryMiB: Int) {
    self.iterations = iterations
    self.fileIterations = fileIterations
    self.fileBytes = fileBytes
    self.accelerator = accelerator
    self.memoryMiB = memoryMiB
  }

  init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    iterations = try container.decode(Int.self, forKey: .iterations)
    fileIterations = try container.decode(Int.self, forKey: .fileIterations)
    fileBytes = try container.decode(Int.self, forKey: .fileBytes)
    accelerator = try container.decode(String.self, forKey: .accelerator)
    memoryMiB = try container.decode(Int.self, forKey: .memoryMiB)
    exec = try container.decode([String: Samples].self, forKey: .exec)
    fileWrite = try container.decode([String: Samples].self, forKey: .fileWrite)
    fileRead = try container.decode([String: Samples].self, forKey: .fileRead)
    idleRSSKiB = try container.decode([String: Int].self, forKey: .idleRSSKiB)
    afterRSSKiB = try container.decode([String: Int].self, forKey: .afterRSSKiB)
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(iterations, forKey: .iterations)
    try container.encode(fileIterations, forKey: .fileIterations)
    try container.encode(fileBytes, forKey: .fileBytes)
    try container.encode(accelerator, forKey: .accelerator)
    try container.encode(memoryMiB, forKey: .memoryMiB)
    try container.encode(exec, forKey: .exec)
    try container.encode(fileWrite, forKey: .fileWrite)
    try container.encode(fileRead, forKey: .fileRead)
    try container.encode(idleRSSKiB, forKey: .idleRSSKiB)
    try container.encode(afterRSSKiB, forKey: .afterRSSKiB)
    try container.encode(ratios, forKey: .ratios)
  }

  func print() {
    let names = [Self.cove] + Self.peers
    let width = names.map(\.count).max()! + 2
    func padded(_ name: String) -> String { name + String(repeating: " ", count: width - name.count) }
    let megabytes = Double(fileBytes) / 1e6
    func throughput(_ ms: Double) -> String { "\(fixed(megabytes / (ms / 1000), digits: 1)) MB/s" }

    Swift.print("one VM: \(accelerator), \(memoryMiB) MiB; peers take turns in every iteration")
    Swift.print("exec /bin/true and wait for its exit:")
    for name in names { Swift.print("  \(padded(name))\(exec[name]?.summary() ?? "not measured")") }
    Swift.print("write \(fileBytes >> 20) MiB into the guest (/tmp):")
    for name in names {
      Swift.print("  \(padded(name))\(fileWrite[name]?.summary() ?? "not measured")")
    }
    Swift.print("read it back (sha256 checked):")
    for name in names { Swift.print("  \(padded(name))\(fileRead[name]?.summary() ?? "not measured")") }
    Swift.print("file round trip (median write + median read):")
    for name in names {
      let line = roundTrip(name).map { "\(fixed($0, digits: 0)) ms, \(throughput($0 / 2)) each way" }
      Swift.print("  \(padded(name))\(line ?? "failed")")
    }
    Swift.print("idle RSS in the guest (VmRSS after one request and 1 s idle; after the file runs):")
    for name in [Self.cove, "qemu-guest-agent"] {
      let idle = idleRSSKiB[name].map { "\($0) KiB" } ?? "?"
      let after = afterRSSKiB[name].map { "\($0) KiB" } ?? "?"
      Swift.print("  \(padded(name))\(idle); \(after)")
    }
    let ratios = self.ratios
    func ratio(_ key: String) -> String { ratios[key].map { fixed($0, digits: 2) } ?? "-" }
    Swift.print("ratios (cove/peer):")
    Swift.print(
      "  exec p50 time vs qemu-guest-agent:  \(ratio("exec_p50_time.cove_over_qemu-guest-agent")) (goal <= 0.50)")
    Swift.print("  exec p50 time vs ssh:               \(ratio("exec_p50_time.cove_over_ssh")) (goal <= 0.25)")
    Swift.print(
      "  file throughput vs qemu-guest-agent: \(ratio("file_throughput.cove_over_qemu-guest-agent")) (goal >= 3)")
    Swift.print("  file throughput vs ssh:              \(ratio("file_throughput.cove_over_ssh"))")
    Swift.print("  idle RSS vs qemu-guest-agent:        \(ratio("idle_rss.cove_over_qemu-guest-agent")) (goal <= 1)")
  }
}
