import Hummingbird
import HummingbirdCore

/// Query parameters read strictly: a value that is there but not valid is a
/// 400 that names the parameter, never silently the default.
struct QueryParameters {
  let parameters: FlatDictionary<Substring, Substring>

  init(_ request: Request) { parameters = request.uri.queryParameters }

  /// `true`/`1` or `false`/`0`; `defaultValue` when absent.
  func flag(_ name: String, default defaultValue: Bool = false) throws(APIError) -> Bool {
    guard let text = parameters[Substring(name)] else { return defaultValue }
    switch text {
    case "true", "1": return true
    case "false", "0": return false
    default: throw .badRequest("\(name) must be true or false, not \(String(text).debugDescription)")
    }
  }

  /// A decimal integer in `range`; `defaultValue` when absent.
  func integer(_ name: String, in range: ClosedRange<Int>, default defaultValue: Int) throws(APIError) -> Int {
    guard let text = parameters[Substring(name)] else { return defaultValue }
    guard let value = Int(text), range.contains(value), text.allSatisfy(\.isASCIIDigit) else {
      throw .badRequest("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
    }
    return value
  }

  /// File permission bits written in octal, 0 to 7777; `defaultValue` when absent.
  func mode(_ name: String, default defaultValue: UInt32) throws(APIError) -> UInt32 {
    guard let text = parameters[Substring(name)] else { return defaultValue }
    guard text.allSatisfy({ ("0"..."7").contains($0) }), let value = UInt32(text, radix: 8), value <= 0o7777 else {
      throw .badRequest("\(name) must be octal permission bits from 0 to 7777, such as 644")
    }
    return value
  }
}

extension Character {
  var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
