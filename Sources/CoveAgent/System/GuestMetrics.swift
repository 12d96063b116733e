import CoveAgentProto

/// Reads CPU, memory and agent figures from /proc.
enum GuestMetrics {
  static func read() -> Cove_Agent_V1_MetricsResponse {
    var m = Cove_Agent_V1_MetricsResponse()
    let stat = readSmallFile("/proc/stat") ?? ""
    m.cpuCount = UInt32(stat.split(separator: "\n").filter { $0.hasPrefix("cpu") && !$0.hasPrefix("cpu ") }.count)
    if let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) {
      // user nice system idle iowait ..., in clock ticks of 10 ms.
      let ticks = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
      if ticks.count >= 4 {
        m.cpuUserMs = (ticks[0] + ticks[1]) * 10
        m.cpuSystemMs = ticks[2] * 10
        m.cpuIdleMs = ticks[3] * 10
      }
    }
    if let load = readSmallFile("/proc/loadavg")?.split(separator: " ").first { m.load1M = Double(load) ?? 0 }
    let meminfo = parseKilobytes(readSmallFile("/proc/meminfo") ?? "")
    m.memoryTotalBytes = (meminfo["MemTotal"] ?? 0) * 1024
    m.memoryAvailableBytes = (meminfo["MemAvailable"] ?? 0) * 1024
    m.agentRssBytes = (parseKilobytes(readSmallFile("/proc/self/status") ?? "")["VmRSS"] ?? 0) * 1024
    return m
  }

  /// Parses "Key:   123 kB" lines.
  static func parseKilobytes(_ text: String) -> [String: UInt64] {
    var values: [String: UInt64] = [:]
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: ":", maxSplits: 1)
      guard parts.count == 2,
        let number = parts[1].split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap({ UInt64($0) })
      else {
        continue
      }
      values[String(parts[0])] = number
    }
    return values
  }
}
