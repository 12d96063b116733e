#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Writes a file so that readers see the old contents or the new ones, never
/// a part: data goes to a temporary file in the same directory, which is
/// synced and renamed over the target only when every byte arrived.
struct AtomicFileWriter {
  let path: GuestPath
  let temporaryPath: GuestPath
  private var fd: Int32

  private(set) var written: UInt64 = 0

  init(path: GuestPath, mode: mode_t, createParents: Bool) throws(AgentError) {
    self.path = path
    guard !path.isRoot else { throw AgentError(.invalidArgument, "path names a directory: \"\(path)\"") }
    let existing = path.withCString { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    if existing >= 0 {
      close(existing)
      throw AgentError.system("write", path.text, errno: EISDIR)
    }
    if createParents { try FileSystem.makeDirectory(path.parent, parents: true, mode: 0o755) }
    var template = path.parent.appending([UInt8(ascii: ".")] + path.name + Array(".cove-XXXXXX".utf8)).bytes + [0]
    let fd = template.withUnsafeMutableBufferPointer {
      $0.withMemoryRebound(to: CChar.self) { mkstemp($0.baseAddress!) }
    }
    guard fd >= 0 else { throw AgentError.system("write", path.text, errno: errno) }
    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    self.fd = fd
    self.temporaryPath = GuestPath(normalizing: Array(template.dropLast()))
    if fchmod(fd, mode) != 0 {
      let err = errno
      abandon()
      throw AgentError.system("write", path.text, errno: err)
    }
  }

  mutating func append(_ data: Data) throws(AgentError) {
    let count = data.count
    var done = 0
    while done < count {
      let n = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, count - done) }
      if n < 0 {
        if errno == EINTR { continue }
        throw AgentError.system("write", path.text, errno: errno)
      }
      done += n
    }
    written += UInt64(count)
  }

  /// Syncs and renames into place; returns the number of bytes written.
  mutating func commit() throws(AgentError) -> UInt64 {
    do {
      try retrying("sync", path.text) { fsync(fd) }
      close(fd)
      fd = -1
      try retrying("write", path.text) { temporaryPath.withCString { t in path.withCString { rename(t, $0) } } }
    } catch {
      abandon()
      throw error
    }
    let dirfd = path.parent.withCString { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    if dirfd >= 0 {
      fsync(dirfd)
      close(dirfd)
    }
    return written
  }

  /// Removes the temporary file; the target is untouched.
  func abandon() {
    if fd >= 0 { close(fd) }
    _ = temporaryPath.withCString { unlink($0) }
  }
}
