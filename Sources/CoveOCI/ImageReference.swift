/// A reference to an image in a registry: `[REGISTRY/]REPOSITORY[:TAG][@DIGEST]`,
/// read the way Docker reads it: a first component with a dot, a colon or
/// `localhost` is the registry, anything else is a Docker Hub repository
/// (`alpine` is `docker.io/library/alpine:latest`).
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
  /// The registry as people write it (`docker.io`, `127.0.0.1:5000`).
  public var registry: String
  public var repository: String
  public var tag: String?
  public var digest: Digest?

  public static let dockerHub = "docker.io"

  public init(parsing text: String) throws(OCIError) {
    func invalid(_ why: String) -> OCIError {
      OCIError(.invalidReference, "invalid image reference \"\(text)\": \(why)")
    }
    guard !text.isEmpty, text.utf8.count <= 4096 else { throw invalid("empty or too long") }
    var rest = Substring(text)
    if let at = rest.firstIndex(of: "@") {
      digest = try Digest(parsing: String(rest[rest.index(after: at)...]))
      rest = rest[..<at]
    }
    var components = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    if components.count > 1, let first = components.first,
      first.contains(".") || first.contains(":") || first == "localhost"
    {
      registry = first
      components.removeFirst()
    } else {
      registry = Self.dockerHub
    }
    if let last = components.last, let colon = last.lastIndex(of: ":") {
      tag = String(last[last.index(after: colon)...])
      components[components.count - 1] = String(last[..<colon])
      guard let tag, Self.validTag(tag) else { throw invalid("bad tag") }
    }
    if registry == Self.dockerHub && components.count == 1 { components.insert("library", at: 0) }
    for component in components where !Self.validComponent(component) {
      throw invalid("repository components are lowercase letters, digits and . _ - separators")
    }
    repository = components.joined(separator: "/")
    if tag == nil && digest == nil { tag = "latest" }
  }

  /// What the registry API names the manifest by: the digest when there is
  /// one (it pins the content), else the tag.
  public var manifestReference: String { digest?.description ?? tag ?? "latest" }

  /// The host the API is spoken to: Docker Hub's API lives at registry-1.
  public var apiHost: String { registry == Self.dockerHub ? "registry-1.docker.io" : registry }

  public var description: String {
    var text = "\(registry)/\(repository)"
    if let tag { text += ":\(tag)" }
    if let digest { text += "@\(digest)" }
    return text
  }

  static func validTag(_ tag: String) -> Bool {
    guard let first = tag.utf8.first, tag.utf8.count <= 128, first != UInt8(ascii: "."), first != UInt8(ascii: "-")
    else { return false }
    return tag.utf8.allSatisfy {
      isLowerAlnum($0) || (65...90).contains($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        || $0 == UInt8(ascii: "-")
    }
  }

  static func validComponent(_ component: String) -> Bool {
    let bytes = Array(component.utf8)
    guard let first = bytes.first, let last = bytes.last, isLowerAlnum(first), isLowerAlnum(last) else { return false }
    return bytes.allSatisfy {
      isLowerAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-")
    }
  }

  static func isLowerAlnum(_ byte: UInt8) -> Bool { (48...57).contains(byte) || (97...122).contains(byte) }
}
