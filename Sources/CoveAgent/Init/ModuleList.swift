/// The kernel modules the initramfs ships, in the order they must be loaded:
/// one path per line, relative to the list's directory unless absolute;
/// blank lines and lines starting with # are ignored.
public struct ModuleList: Equatable, Sendable {
  public var paths: [String]

  public init(parsing text: String, relativeTo base: String) {
    paths = text.split(whereSeparator: \.isNewline).compactMap { raw in
      let line = raw.trimmingCharacters(in: " \t")
      if line.isEmpty || line.hasPrefix("#") { return nil }
      if line.hasPrefix("/") { return line }
      return base.hasSuffix("/") ? base + line : "\(base)/\(line)"
    }
  }
}

extension Substring {
  func trimmingCharacters(in set: String) -> String {
    let drop: (Character) -> Bool = { set.contains($0) }
    return String(self.drop(while: drop).reversed().drop(while: drop).reversed())
  }
}
