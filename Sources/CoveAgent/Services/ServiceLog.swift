#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A service's log file, NAME.log, which its output is appended to. When
/// it would grow past the cap it becomes NAME.log.1 (replacing the one
/// before) and a new NAME.log begins: at most two caps' worth stay on disk.
struct ServiceLog: Sendable {
  static let capBytes = 4 << 20

  let path: String
  private var fd: Int32
  private var size: Int

  var previousPath: String { path + ".1" }

  /// Opens the log, making its directory if need be.
  init(directory: String, name: String) throws(AgentError) {
    try Self.makeDirectory(directory)
    path = directory + "/" + name + ".log"
    (fd, size) = try Self.openForAppending(path)
  }

  mutating func append(_ bytes: [UInt8]) {
    if size > 0 && size + bytes.count > Self.capBytes {
      finish()
      rename(path, previousPath)
    }
    if fd < 0 { (fd, size) = (try? Self.openForAppending(path)) ?? (-1, 0) }
    guard fd >= 0 else { return }
    var offset = 0
    while offset < bytes.count {
      let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      // A full disk loses output; the service runs on.
      guard n > 0 else { break }
      offset += n
    }
    size += offset
  }

  /// Closes the file; a later append opens it again.
  mutating func finish() {
    if fd >= 0 { close(fd) }
    fd = -1
  }

  private static func openForAppending(_ path: String) throws(AgentError) -> (Int32, Int) {
    let flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW
    let fd = try retrying("open", path) { open(path, flags, 0o640) }
    var st = stat()
    return (fd, fstat(fd, &st) == 0 ? Int(st.st_size) : 0)
  }

  private static func makeDirectory(_ directory: String) throws(AgentError) {
    var prefix = ""
    for part in directory.split(separator: "/") {
      prefix += "/" + part
      if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw AgentError.system("make", prefix, errno: errno) }
    }
  }

  /// The last `count` bytes of the log, reaching into NAME.log.1 when
  /// NAME.log alone is shorter.
  static func tail(_ path: String, count: Int) -> [UInt8] {
    let current = readEnd(of: path, count: count)
    guard current.count < count else { return current }
    return readEnd(of: path + ".1", count: count - current.count) + current
  }

  private static func readEnd(of path: String, count: Int) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return [] }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { return [] }
    let start = max(0, Int(st.st_size) - count)
    var bytes = [UInt8](repeating: 0, count: Int(st.st_size) - start)
    var filled = 0
    while filled < bytes.count {
      let n = bytes[filled...].withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(start + filled)) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { break }
      filled += n
    }
    return Array(bytes[..<filled])
  }
}
