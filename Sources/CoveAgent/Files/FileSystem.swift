import CoveAgentProto

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The file operations of the agent, on POSIX calls so that every failure
/// keeps its errno. Paths are ``GuestPath``s: absolute, normalized, bytes.
enum FileSystem {
  static func lstatInfo(_ path: GuestPath) throws(AgentError) -> Cove_Agent_V1_FileInfo {
    var st = stat()
    try retrying("stat", path.text) { path.withCString { lstat($0, &st) } }
    return info(path, st)
  }

  static func info(_ path: GuestPath, _ st: stat) -> Cove_Agent_V1_FileInfo {
    var info = Cove_Agent_V1_FileInfo()
    info.path = path.text
    info.name = NameEscaping.encode(path.name)
    switch st.st_mode & S_IFMT {
    case S_IFREG: info.type = .regular
    case S_IFDIR: info.type = .directory
    case S_IFLNK:
      info.type = .symlink
      var buffer = [UInt8](repeating: 0, count: 4096)
      let n = path.withCString { p in
        buffer.withUnsafeMutableBytes { readlink(p, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count) }
      }
      if n > 0 { info.symlinkTarget = NameEscaping.encode(buffer[0..<n]) }
    default: info.type = .other
    }
    info.size = UInt64(st.st_size)
    info.mode = UInt32(st.st_mode & 0o7777)
    info.uid = st.st_uid
    info.gid = st.st_gid
    info.modifiedUnixNs = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    return info
  }

  /// The names in a directory, without "." and "..", as bytes: a name need
  /// not be UTF-8.
  static func names(in path: GuestPath) throws(AgentError) -> [[UInt8]] {
    guard let dir = path.withCString({ opendir($0) }) else { throw AgentError.system("list", path.text, errno: errno) }
    defer { closedir(dir) }
    var names: [[UInt8]] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: &entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
      if name != [UInt8(ascii: ".")] && name != [UInt8(ascii: "."), UInt8(ascii: ".")] { names.append(name) }
    }
    return names.sorted { $0.lexicographicallyPrecedes($1) }
  }

  /// The names in a directory given as text (a sysfs directory).
  static func names(in path: String) throws(AgentError) -> [String] {
    try names(in: GuestPath(path)).map { NameEscaping.encode($0[...]) }
  }

  /// The entries under `path`, `depth` levels deep. An answer must fit one
  /// message: past `limit` entries or `byteBudget` bytes of encoded entries
  /// the call is refused with RESOURCE_EXHAUSTED (the proto has no field to
  /// say that a partial answer is partial).
  static func list(_ path: GuestPath, depth: Int, limit: Int, byteBudget: Int) throws(AgentError)
    -> [Cove_Agent_V1_FileInfo]
  {
    let root = try lstatInfo(path)
    guard root.type == .directory else { throw AgentError.system("list", path.text, errno: ENOTDIR) }
    var result: [Cove_Agent_V1_FileInfo] = []
    var bytes = 0
    func walk(_ dir: GuestPath, _ level: Int) throws(AgentError) {
      for name in try names(in: dir) {
        let child = dir.appending(name)
        guard let entry = try? lstatInfo(child) else { continue }  // removed meanwhile
        // At most what the entry costs encoded: its strings, up to 51 bytes
        // of tags, lengths and numbers, and the repeated field's tag and length.
        bytes += entry.path.utf8.count + entry.name.utf8.count + entry.symlinkTarget.utf8.count + 56
        guard result.count < limit, bytes <= byteBudget else {
          throw AgentError(
            .resourceExhausted,
            "list \(path): more than \(limit) entries or \(byteBudget >> 20) MiB of answer; list less deep")
        }
        result.append(entry)
        if entry.type == .directory && level < depth { try walk(child, level + 1) }
      }
    }
    try walk(path, 1)
    return result
  }

  static func makeDirectory(_ path: GuestPath, parents: Bool, mode: mode_t) throws(AgentError) {
    if path.withCString({ mkdir($0, mode) }) == 0 { return }
    let err = errno
    if parents {
      var st = stat()
      if err == EEXIST, path.withCString({ stat($0, &st) }) == 0, (st.st_mode & S_IFMT) == S_IFDIR { return }
      if err == ENOENT && !path.isRoot {
        try makeDirectory(path.parent, parents: true, mode: 0o755)
        try retrying("mkdir", path.text) { path.withCString { mkdir($0, mode) } }
        return
      }
    }
    throw AgentError.system("mkdir", path.text, errno: err)
  }

  static func remove(_ path: GuestPath, recursive: Bool) throws(AgentError) {
    guard !path.isRoot else { throw AgentError(.invalidArgument, "refusing to remove /") }
    let entry = try lstatInfo(path)
    if entry.type != .directory {
      try retrying("remove", path.text) { path.withCString { unlink($0) } }
      return
    }
    if recursive {
      for name in try names(in: path) { try remove(path.appending(name), recursive: true) }
    }
    if path.withCString({ rmdir($0) }) != 0 {
      let err = errno
      if err == ENOTEMPTY {
        throw AgentError(.failedPrecondition, "remove \(path): directory not empty; remove it recursively")
      }
      throw AgentError.system("remove", path.text, errno: err)
    }
  }

  /// Opens a regular file for reading without ever blocking: a FIFO with no
  /// writer (or a device) would hold the calling thread in open() for as
  /// long as it likes, and the agent has very few of them.
  static func openRegularFile(_ path: GuestPath) throws(AgentError) -> Int32 {
    let fd = try retrying("read", path.text) { path.withCString { open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK) } }
    var st = stat()
    let refusal: AgentError?
    if fstat(fd, &st) != 0 {
      refusal = AgentError.system("read", path.text, errno: errno)
    } else {
      switch st.st_mode & S_IFMT {
      case S_IFREG: refusal = nil
      case S_IFDIR: refusal = AgentError.system("read", path.text, errno: EISDIR)
      default: refusal = AgentError(.failedPrecondition, "read \(path): not a regular file (a FIFO, socket or device)")
      }
    }
    if let refusal {
      close(fd)
      throw refusal
    }
    // Regular files ignore O_NONBLOCK; cleared all the same.
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    return fd
  }
}
