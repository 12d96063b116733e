#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Reads a small text file (proc entries, passwd) whole; nil when it cannot
/// be read. Reads at most `limit` bytes.
func readSmallFile(_ path: String, limit: Int = 1 << 20) -> String? {
  let fd = open(path, O_RDONLY | O_CLOEXEC)
  guard fd >= 0 else { return nil }
  defer { close(fd) }
  var bytes: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 16384)
  while bytes.count < limit {
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    if n < 0 && errno == EINTR { continue }
    if n <= 0 { break }
    bytes.append(contentsOf: buffer[0..<n])
  }
  return String(decoding: bytes, as: UTF8.self)
}

/// Replaces a small file with `text` (through a temporary file and a
/// rename); false when it cannot. /etc/resolv.conf may be a symlink to a
/// file the image does not have: the link is replaced then.
func writeSmallFile(_ path: String, _ text: String, mode: mode_t = 0o644) -> Bool {
  let temporary = path + ".cove-new"
  let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
  guard fd >= 0 else { return false }
  let bytes = Array(text.utf8)
  let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
  close(fd)
  guard written == bytes.count, rename(temporary, path) == 0 else {
    unlink(temporary)
    return false
  }
  return true
}
