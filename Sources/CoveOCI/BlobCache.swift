import Crypto
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// One content-addressed store of blobs (layers, configurations,
/// manifests) shared by every image: `ROOT/sha256/HEX`. A blob gets its
/// name only after its bytes were hashed and matched the digest asked for,
/// and it gets it by `rename()`, so an interrupted pull or a lying registry
/// leaves no entry behind; a second image with the same base finds its
/// layers here and downloads only what is new.
public struct BlobCache: Sendable {
  public let root: String

  public init(root: String) {
    self.root = root
  }

  var partials: String { root + "/.partial" }

  public func path(for digest: Digest) -> String { "\(root)/sha256/\(digest.hex)" }

  /// Whether the blob is here, with the size the descriptor says.
  public func contains(_ digest: Digest, size: Int64? = nil) -> Bool {
    var st = stat()
    guard stat(path(for: digest), &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return false }
    return size.map { Int64(st.st_size) == $0 } ?? true
  }

  public func size(of digest: Digest) -> Int64? {
    var st = stat()
    return stat(path(for: digest), &st) == 0 ? Int64(st.st_size) : nil
  }

  public func data(_ digest: Digest) throws(OCIError) -> Data {
    guard let data = FileManager.default.contents(atPath: path(for: digest)) else {
      throw OCIError(.notFound, "blob \(digest) is not in the cache at \(root)")
    }
    return data
  }

  /// Stores small bytes already in memory (a manifest, a configuration),
  /// checked against `expected` when given; returns their digest.
  @discardableResult
  public func store(_ data: Data, expected: Digest? = nil) throws(OCIError) -> Digest {
    let digest = Digest(hashing: data)
    if let expected, expected != digest {
      throw OCIError(.digestMismatch, "content has digest \(digest), not the \(expected) asked for")
    }
    if contains(digest, size: Int64(data.count)) { return digest }
    let writer = try writer(for: digest, size: Int64(data.count))
    do {
      try writer.write(data)
      try writer.commit()
    } catch {
      writer.discard()
      throw error
    }
    return digest
  }

  /// A writer whose bytes become the blob `digest` on ``BlobWriter/commit()``.
  public func writer(for digest: Digest, size: Int64?) throws(OCIError) -> BlobWriter {
    do {
      try FileManager.default.createDirectory(atPath: root + "/sha256", withIntermediateDirectories: true)
      try FileManager.default.createDirectory(atPath: partials, withIntermediateDirectories: true)
    } catch {
      throw OCIError(.io, "cannot create the blob cache at \(root)", underlying: error)
    }
    sweepPartials()
    // The pid in the name lets a later pull remove what a killed one left.
    let temporary = "\(partials)/\(digest.hex).\(getpid()).\(UUID().uuidString.prefix(8))"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw OCIError(.io, "cannot create \(temporary): \(errnoText(errno))") }
    return BlobWriter(fd: fd, temporary: temporary, final: path(for: digest), digest: digest, size: size)
  }

  /// A writer for bytes whose digest is learnt at the end
  /// (``BlobWriter/commitComputed()``).
  public func writerForUnknownDigest() throws(OCIError) -> BlobWriter {
    try writer(for: Self.placeholder, size: nil)
  }

  static let placeholder = try! Digest(parsing: "sha256:" + String(repeating: "0", count: 64))

  /// Removes partial files whose pulling process is gone.
  func sweepPartials() {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: partials)) ?? []
    for name in names {
      let fields = name.split(separator: ".")
      guard fields.count == 3, let pid = Int32(fields[1]) else { continue }
      if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
        unlink("\(partials)/\(name)")
      }
    }
  }

  /// The blobs in the cache and their total size.
  public func usage() -> (count: Int, bytes: Int64) {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/sha256")) ?? []
    var bytes: Int64 = 0
    for name in names {
      var st = stat()
      if stat("\(root)/sha256/\(name)", &st) == 0 { bytes += Int64(st.st_size) }
    }
    return (names.count, bytes)
  }
}

/// Writes one blob's bytes to a private file while hashing them; only
/// ``commit()`` gives the file its content-addressed name, and only when
/// the digest and size match.
public final class BlobWriter: @unchecked Sendable {
  private let fd: Int32
  private let temporary: String
  private let final: String
  public let digest: Digest
  public let expectedSize: Int64?
  private var hasher = SHA256()
  public private(set) var written: Int64 = 0
  private var closed = false

  init(fd: Int32, temporary: String, final: String, digest: Digest, size: Int64?) {
    self.fd = fd
    self.temporary = temporary
    self.final = final
    self.digest = digest
    self.expectedSize = size
  }

  deinit { discard() }

  public func write(_ bytes: some DataProtocol) throws(OCIError) {
    let count = Int64(bytes.count)
    if let expectedSize, written + count > expectedSize {
      throw OCIError(
        .sizeMismatch, "blob \(digest) is longer than the \(expectedSize) bytes its descriptor gives")
    }
    for region in bytes.regions {
      let failure =
        region.withContiguousStorageIfAvailable { writeAll(fd, UnsafeRawBufferPointer($0)) }
        ?? Array(region).withUnsafeBytes { writeAll(fd, $0) }
      if failure != 0 { throw OCIError(.io, "writing blob \(digest): \(errnoText(failure))") }
      hasher.update(data: region)
    }
    written += count
  }

  /// Checks the size and digest, then renames the file into the cache.
  public func commit() throws(OCIError) {
    try commit(as: nil)
  }

  /// Commits bytes whose digest was not known when writing began (a member
  /// of an archive); returns the digest they got.
  public func commitComputed() throws(OCIError) -> Digest {
    let actual = Digest(hex: hasher.finalize())
    try commit(as: actual)
    return actual
  }

  private func commit(as computed: Digest?) throws(OCIError) {
    let digest = computed ?? self.digest
    let final = computed.map { "\(self.final.dropLast(self.digest.hex.count))\($0.hex)" } ?? self.final
    if let expectedSize, written != expectedSize {
      throw OCIError(
        .sizeMismatch,
        "blob \(digest) ended after \(written) of its \(expectedSize) bytes (truncated by the registry or the network)")
    }
    let actual = computed ?? Digest(hex: hasher.finalize())
    guard actual == digest else {
      throw OCIError(.digestMismatch, "blob \(digest) arrived with digest \(actual): the registry sent other content")
    }
    guard fsync(fd) == 0 || errno == EINVAL else { throw OCIError(.io, "syncing blob \(digest): \(errnoText(errno))") }
    close(fd)
    closed = true
    guard rename(temporary, final) == 0 else {
      let why = errnoText(errno)
      unlink(temporary)
      throw OCIError(.io, "moving blob \(digest) into the cache: \(why)")
    }
  }

  /// Drops what was written; safe to call more than once.
  public func discard() {
    if !closed {
      close(fd)
      closed = true
      unlink(temporary)
    }
  }
}

/// Writes all of `buffer` to `fd`; 0, or the errno that stopped it.
func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int32 {
  var offset = 0
  while offset < buffer.count {
    let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
    if n < 0 {
      if errno == EINTR { continue }
      return errno
    }
    offset += n
  }
  return 0
}
