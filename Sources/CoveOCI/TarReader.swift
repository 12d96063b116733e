#if canImport(Glibc)
  import Glibc
#endif

/// One member of a tar archive, with the POSIX (pax) and GNU extensions
/// layers use folded in: long names, sizes and ids, and extended
/// attributes (`SCHILY.xattr.*`, where file capabilities travel).
public struct TarEntry: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    case file, hardLink, symlink, characterDevice, blockDevice, directory, fifo
  }

  public var path: String
  public var kind: Kind
  /// Permission bits with setuid, setgid and sticky (07777).
  public var mode: UInt32
  public var uid: UInt32
  public var gid: UInt32
  public var size: Int64
  public var modified: Int64
  public var linkName: String
  public var deviceMajor: UInt32
  public var deviceMinor: UInt32
  public var xattrs: [String: [UInt8]]
}

/// Reads a tar stream from a file descriptor (a file or a decompressor's
/// pipe), member by member, without seeking. Parsing is separate from what
/// is done with the members (``LayerApplier``, the archive importer).
public final class TarReader {
  let fd: Int32
  private var buffer: [UInt8]
  private var start = 0
  private var end = 0
  /// Bytes of the current member's data (plus padding) not yet consumed.
  private var remaining: Int64 = 0
  private var padding: Int64 = 0
  private var global: [String: [UInt8]] = [:]

  public init(fd: Int32, bufferSize: Int = 1 << 20) {
    self.fd = fd
    self.buffer = [UInt8](repeating: 0, count: bufferSize)
  }

  /// The next member, or nil at the end of the archive.
  public func next() throws(OCIError) -> TarEntry? {
    try skip(remaining + padding)
    remaining = 0
    padding = 0
    var pax: [String: [UInt8]] = [:]
    var longName: String?
    var longLink: String?
    while true {
      guard let header = try readBlock() else { return nil }
      if header.allSatisfy({ $0 == 0 }) { return nil }
      try verifyChecksum(header)
      let size = try number(header, 124, 12)
      let type = header[156]
      switch type {
      case UInt8(ascii: "x"), UInt8(ascii: "g"):
        let records = Self.paxRecords(try readRecord(size))
        if type == UInt8(ascii: "g") { global.merge(records) { $1 } } else { pax.merge(records) { $1 } }
        continue
      case UInt8(ascii: "L"):
        longName = Self.cString(try readRecord(size)[...])
        continue
      case UInt8(ascii: "K"):
        longLink = Self.cString(try readRecord(size)[...])
        continue
      default: break
      }
      let attributes = global.merging(pax) { $1 }
      let kind: TarEntry.Kind
      switch type {
      case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = .file
      case UInt8(ascii: "1"): kind = .hardLink
      case UInt8(ascii: "2"): kind = .symlink
      case UInt8(ascii: "3"): kind = .characterDevice
      case UInt8(ascii: "4"): kind = .blockDevice
      case UInt8(ascii: "5"): kind = .directory
      case UInt8(ascii: "6"): kind = .fifo
      default:
        // Sparse files, volume labels and vendor types: skipped, as tar does.
        remaining = size
        padding = (512 - size % 512) % 512
        try skip(remaining + padding)
        remaining = 0
        padding = 0
        continue
      }
      var path = Self.cString(header[0..<100])
      let isPOSIX = header[257..<263].elementsEqual("ustar\0".utf8)
      let prefix = Self.cString(header[345..<500])
      if isPOSIX && !prefix.isEmpty { path = prefix + "/" + path }
      if let longName { path = longName }
      if let value = attributes["path"] { path = String(decoding: value, as: UTF8.self) }
      var linkName = Self.cString(header[157..<257])
      if let longLink { linkName = longLink }
      if let value = attributes["linkpath"] { linkName = String(decoding: value, as: UTF8.self) }
      var entry = TarEntry(
        path: path, kind: kind, mode: UInt32(try number(header, 100, 8) & 0o7777),
        uid: UInt32(truncatingIfNeeded: try number(header, 108, 8)),
        gid: UInt32(truncatingIfNeeded: try number(header, 116, 8)),
        size: size, modified: try number(header, 136, 12), linkName: linkName,
        deviceMajor: UInt32(truncatingIfNeeded: try number(header, 329, 8)),
        deviceMinor: UInt32(truncatingIfNeeded: try number(header, 337, 8)), xattrs: [:])
      for (key, value) in attributes {
        let text = String(decoding: value, as: UTF8.self)
        switch key {
        case "size": entry.size = Int64(text) ?? entry.size
        case "uid": entry.uid = UInt32(text) ?? entry.uid
        case "gid": entry.gid = UInt32(text) ?? entry.gid
        case "mtime": entry.modified = Int64(text.split(separator: ".").first ?? "") ?? entry.modified
        default:
          if key.hasPrefix("SCHILY.xattr.") { entry.xattrs[String(key.dropFirst(13))] = value }
        }
      }
      // Links and directories carry no data whatever their size field says.
      if kind == .file {
        remaining = entry.size
        padding = (512 - entry.size % 512) % 512
      } else {
        entry.size = 0
        remaining = 0
        padding = (512 - size % 512) % 512
        try skip(size + padding)
        padding = 0
      }
      return entry
    }
  }

  /// Hands the current member's data to `body` in pieces.
  public func readData(_ body: (UnsafeRawBufferPointer) throws(OCIError) -> Void) throws(OCIError) {
    while remaining > 0 {
      if start == end { try fill() }
      let count = Int(min(Int64(end - start), remaining))
      var failure: OCIError?
      buffer.withUnsafeBytes { raw in
        do { try body(UnsafeRawBufferPointer(rebasing: raw[start..<start + count])) } catch let error as OCIError {
          failure = error
        } catch {}
      }
      if let failure { throw failure }
      start += count
      remaining -= Int64(count)
    }
  }

  // MARK: - Reading

  private func fill() throws(OCIError) {
    start = 0
    end = 0
    while true {
      let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
      if n < 0 && errno == EINTR { continue }
      guard n >= 0 else { throw OCIError(.io, "reading the archive: \(errnoText(errno))") }
      guard n > 0 else { throw OCIError(.invalidContent, "the archive ends in the middle of a member (truncated)") }
      end = n
      return
    }
  }

  private func readBlock() throws(OCIError) -> [UInt8]? {
    if start == end {
      // A clean end of input between members is an archive without its
      // two zero blocks; accept it as tools do.
      do { try fill() } catch  where error.code == .invalidContent { return nil }
    }
    return try readAll(512)
  }

  private func readAll(_ count: Int64) throws(OCIError) -> [UInt8] {
    guard count <= 16 << 20 else { throw OCIError(.invalidContent, "an archive header record of \(count) bytes") }
    var out: [UInt8] = []
    out.reserveCapacity(Int(count))
    while out.count < count {
      if start == end { try fill() }
      let take = min(end - start, Int(count) - out.count)
      out += buffer[start..<start + take]
      start += take
    }
    return out
  }

  /// A member's whole data (pax records, GNU long names) and its padding.
  private func readRecord(_ count: Int64) throws(OCIError) -> [UInt8] {
    let data = try readAll(count)
    try skip((512 - count % 512) % 512)
    return data
  }

  private func skip(_ count: Int64) throws(OCIError) {
    var left = count
    while left > 0 {
      if start == end { try fill() }
      let take = Int(min(Int64(end - start), left))
      start += take
      left -= Int64(take)
    }
  }

  // MARK: - Fields

  private func verifyChecksum(_ header: [UInt8]) throws(OCIError) {
    var sum = 0
    for (i, byte) in header.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(byte) }
    let recorded = try number(header, 148, 8)
    guard recorded == sum else { throw OCIError(.invalidContent, "a tar header's checksum is wrong (corrupt archive)") }
  }

  /// An octal field, or GNU's base-256 form (high bit set) for large values.
  private func number(_ header: [UInt8], _ offset: Int, _ length: Int) throws(OCIError) -> Int64 {
    let field = header[offset..<offset + length]
    if let first = field.first, first & 0x80 != 0 {
      var value: Int64 = Int64(first & 0x7f)
      for byte in field.dropFirst() { value = value << 8 | Int64(byte) }
      return value
    }
    var value: Int64 = 0
    for byte in field {
      if byte == 0 || byte == 32 {
        if value > 0 { break } else { continue }
      }
      guard (48...55).contains(byte) else { throw OCIError(.invalidContent, "a tar header has a malformed number") }
      value = value * 8 + Int64(byte - 48)
    }
    return value
  }

  static func cString(_ bytes: ArraySlice<UInt8>) -> String {
    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
  }

  /// pax records: `LENGTH KEY=VALUE\n`, the length counting the whole record.
  static func paxRecords(_ data: [UInt8]) -> [String: [UInt8]] {
    var records: [String: [UInt8]] = [:]
    var index = 0
    while index < data.count {
      guard let space = data[index...].firstIndex(of: 32),
        let length = Int(String(decoding: data[index..<space], as: UTF8.self)), length > 0,
        index + length <= data.count
      else { break }
      let record = data[(space + 1)..<(index + length - 1)]
      if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
        records[String(decoding: record[..<equals], as: UTF8.self)] = Array(record[(equals + 1)...])
      }
      index += length
    }
    return records
  }
}
