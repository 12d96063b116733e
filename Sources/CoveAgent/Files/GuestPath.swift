import CoveRules

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A path of the guest as the file calls use it: absolute, lexically
/// normalized (no empty, `.` or `..` components, no trailing slash) and in
/// the bytes the kernel sees, which need not be UTF-8.
///
/// Every guard (the refusal to remove `/`) looks at the normalized form:
/// `//`, `/.`, `/..` and `/proc/..` are all `/`. `..` is resolved
/// lexically, as `realpath -s` does, without following symbolic links.
///
/// The wire carries paths as proto strings, which must be UTF-8. A name
/// that is not travels escaped (``NameEscaping``), and an escaped path sent
/// back names the same file.
struct GuestPath: Equatable, CustomStringConvertible {
  /// The normalized path, without a trailing NUL.
  let bytes: [UInt8]

  /// Checks and normalizes a path from a request, undoing the escape of
  /// names that are not UTF-8.
  init(_ text: String) throws(AgentError) {
    guard text.hasPrefix("/") else { throw AgentError(.invalidArgument, "path must be absolute: \"\(text)\"") }
    guard !text.utf8.contains(0) else { throw AgentError(.invalidArgument, "path must not contain NUL bytes") }
    let raw = NameEscaping.decode(text)
    guard raw.count <= GuestLimits.maxPathBytes else { throw AgentError(.invalidArgument, "path is too long") }
    self.init(normalizing: raw)
  }

  /// Normalizes bytes that are known to be an absolute path without NUL.
  init(normalizing raw: [UInt8]) {
    var components: [ArraySlice<UInt8>] = []
    for component in raw.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
      if component.elementsEqual([UInt8(ascii: ".")]) { continue }
      if component.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
        _ = components.popLast()  // `..` of `/` is `/`
        continue
      }
      components.append(component)
    }
    var bytes: [UInt8] = []
    for component in components {
      bytes.append(UInt8(ascii: "/"))
      bytes += component
    }
    self.bytes = bytes.isEmpty ? [UInt8(ascii: "/")] : bytes
  }

  static let root = GuestPath(normalizing: [UInt8(ascii: "/")])

  var isRoot: Bool { bytes == [UInt8(ascii: "/")] }

  /// The path as the wire carries it (escaped where it is not UTF-8).
  var text: String { NameEscaping.encode(bytes[...]) }

  var description: String { text }

  /// The last component; `/` for the root.
  var name: ArraySlice<UInt8> {
    if isRoot { return bytes[...] }
    let slash = bytes.lastIndex(of: UInt8(ascii: "/"))!
    return bytes[(slash + 1)...]
  }

  /// The directory that holds this path; the root for the root.
  var parent: GuestPath {
    let slash = bytes.lastIndex(of: UInt8(ascii: "/"))!
    return slash == 0 ? .root : GuestPath(normalized: Array(bytes[..<slash]))
  }

  /// The path of `name` (one component, neither `.` nor `..`) in this directory.
  func appending<C: Collection<UInt8>>(_ name: C) -> GuestPath {
    GuestPath(normalized: (isRoot ? [] : bytes) + [UInt8(ascii: "/")] + Array(name))
  }

  private init(normalized bytes: [UInt8]) { self.bytes = bytes }

  /// Calls `body` with the path as a C string.
  func withCString<R, E: Error>(_ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
    var terminated = bytes
    terminated.append(0)
    return try terminated.withUnsafeBufferPointer { (buffer) throws(E) -> R in
      try buffer.withMemoryRebound(to: CChar.self) { (chars) throws(E) -> R in try body(chars.baseAddress!) }
    }
  }
}

/// Carries names that are not UTF-8 in proto strings, reversibly.
///
/// A byte that is not part of a valid UTF-8 sequence (always 0x80 or more)
/// becomes the private-use character U+F700 plus the byte (U+F780 to
/// U+F7FF); so do the bytes of a name's own characters in that range, so
/// that decoding gives back exactly the bytes on disk. Decoding turns every
/// character of that range into its byte: a client cannot name a file with
/// those characters directly, only through their escape.
enum NameEscaping {
  static let base: UInt32 = 0xF700
  static let reserved: ClosedRange<UInt32> = 0xF780...0xF7FF

  static func encode(_ bytes: ArraySlice<UInt8>) -> String {
    var scalars = String.UnicodeScalarView()
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    var offset = bytes.startIndex
    while true {
      switch parser.parseScalar(from: &iterator) {
      case .valid(let encoded):
        let scalar = Unicode.UTF8.decode(encoded)
        if reserved.contains(scalar.value) {
          for byte in encoded { scalars.append(Unicode.Scalar(base + UInt32(byte))!) }
        } else {
          scalars.append(scalar)
        }
        offset += encoded.count
      case .error(let length):
        for byte in bytes[offset..<(offset + length)] { scalars.append(Unicode.Scalar(base + UInt32(byte))!) }
        offset += length
      case .emptyInput:
        return String(scalars)
      }
    }
  }

  static func decode(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
      if reserved.contains(scalar.value) {
        bytes.append(UInt8(scalar.value - base))
      } else {
        Unicode.UTF8.encode(scalar) { bytes.append($0) }
      }
    }
    return bytes
  }
}
