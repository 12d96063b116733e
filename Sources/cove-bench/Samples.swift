/// The timings of one measurement over many iterations, with the errors of
/// the iterations that failed (kept, counted and printed, never dropped).
struct Samples: Sendable, Codable {
  var milliseconds: [Double] = []
  var errors: [String] = []

  var count: Int { milliseconds.count }

  /// The `p`-th percentile (0...1) by the nearest-rank method; nil when
  /// nothing succeeded.
  func percentile(_ p: Double) -> Double? {
    guard !milliseconds.isEmpty else { return nil }
    let sorted = milliseconds.sorted()
    let rank = Int((p * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
  }

  var p50: Double? { percentile(0.5) }
  var p90: Double? { percentile(0.9) }
  var p99: Double? { percentile(0.99) }

  /// Times `body` and records its duration, or its error.
  mutating func measure(_ body: () async throws -> Void) async {
    let clock = ContinuousClock()
    let start = clock.now
    do {
      try await body()
      milliseconds.append((clock.now - start).milliseconds)
    } catch {
      errors.append("\(error)")
    }
  }

  /// One line: the percentiles, the runs and the errors.
  func summary(unit: (Double) -> String = { "\(fixed($0, digits: 2)) ms" }) -> String {
    let percentiles = [("p50", p50), ("p90", p90), ("p99", p99)].map { name, value in
      "\(name) \(value.map(unit) ?? "-")"
    }
    var line = percentiles.joined(separator: ", ") + " (n=\(count)"
    if !errors.isEmpty { line += ", \(errors.count) failed: \(errors[0])" }
    return line + ")"
  }
}

extension Duration {
  var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}

/// `value` with `digits` decimals.
func fixed(_ value: Double, digits: Int = 2) -> String {
  guard value.isFinite else { return "\(value)" }
  var scale = 1.0
  for _ in 0..<digits { scale *= 10 }
  let scaled = Int((value * scale).rounded())
  let whole = "\(abs(scaled) / Int(scale))"
  let fraction = String(abs(scaled) % Int(scale))
  let sign = scaled < 0 ? "-" : ""
  guard digits > 0 else { return sign + whole }
  return "\(sign)\(whole).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
}
