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
  let path: String
  let temporaryPath: String
  private var fd: Int32
  private(set) var written: UInt64 = 0

  init(path: String, mode: mode_t, createParents: Bool) throws(AgentError) {
    self.path = path
    let slash = path.lastIndex(of: "/")!
    let directory = slash == path.startIndex ? "/" : String(path[..<slash])
    let name = String(path[path.index(after: slash)...])
    guard !name.isEmpty else { throw AgentError(.invalidArgument, "path names a directory: \"\(path)\"") }
    let existing = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if existing >= 0 {
      close(existing)
      throw AgentError.system("write", path, errno: EISDIR)
    }
    if createParents { try FileSystem.makeDirectory(directory, parents: true, mode: 0o755) }
    var template = Array(FileSystem.join(directory, ".\(name).cove-XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { throw AgentError.system("write", path, errno: errno) }
    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    self.fd = fd
    self.temporaryPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    if fchmod(fd, mode) != 0 {
      let err = errno
      abandon()
      throw AgentError.system("write", path, errno: err)
    }
  }

  mutating func append(_ data: Data) throws(AgentError) {
    let count = data.count
    var done = 0
    while done < count {
      let n = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, count - done) }
      if n < 0 {
        if errno == EINTR { continue }
        throw AgentError.system("write", path, errno: errno)
      }
      done += n
    }
    written += UInt64(count)
  }

  /// Syncs and renames into place; returns the number of bytes written.
  mutating func commit() throws(AgentError) -> UInt64 {
    do {
      try retrying("sync", path) { fsync(fd) }
      close(fd)
      fd = -1
      try retrying("write", path) { rename(temporaryPath, path) }
    } catch {
      abandon()
      throw error
    }
    let slash = path.lastIndex(of: "/")!
    let directory = slash == path.startIndex ? "/" : String(path[..<slash])
    let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dirfd >= 0 {
      fsync(dirfd)
      close(dirfd)
    }
    return written
  }

  /// Removes the temporary file; the target is untouched.
  func abandon() {
    if fd >= 0 { close(fd) }
    unlink(temporaryPath)
  }
}
