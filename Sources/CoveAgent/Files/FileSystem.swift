import CoveAgentProto

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The file operations of the agent, on POSIX calls so that every failure
/// keeps its errno. Paths must be absolute.
enum FileSystem {
  static func validate(_ path: String) throws(AgentError) {
    guard path.hasPrefix("/") else { throw AgentError(.invalidArgument, "path must be absolute: \"\(path)\"") }
    guard !path.utf8.contains(0) else { throw AgentError(.invalidArgument, "path must not contain NUL bytes") }
    guard path.utf8.count < 4096 else { throw AgentError(.invalidArgument, "path is too long") }
  }

  static func lstatInfo(_ path: String) throws(AgentError) -> Cove_Agent_V1_FileInfo {
    var st = stat()
    try retrying("stat", path) { lstat(path, &st) }
    return info(path, st)
  }

  static func info(_ path: String, _ st: stat) -> Cove_Agent_V1_FileInfo {
    var info = Cove_Agent_V1_FileInfo()
    info.path = path
    info.name = path == "/" ? "/" : String(path.split(separator: "/").last ?? "")
    switch st.st_mode & S_IFMT {
    case S_IFREG: info.type = .regular
    case S_IFDIR: info.type = .directory
    case S_IFLNK:
      info.type = .symlink
      var buffer = [UInt8](repeating: 0, count: 4096)
      let n = buffer.withUnsafeMutableBytes {
        readlink(path, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count)
      }
      if n > 0 { info.symlinkTarget = String(decoding: buffer[0..<n], as: UTF8.self) }
    default: info.type = .other
    }
    info.size = UInt64(st.st_size)
    info.mode = UInt32(st.st_mode & 0o7777)
    info.uid = st.st_uid
    info.gid = st.st_gid
    info.modifiedUnixNs = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    return info
  }

  static func join(_ directory: String, _ name: String) -> String {
    directory == "/" ? "/\(name)" : "\(directory)/\(name)"
  }

  /// The names in a directory, without "." and "..".
  static func names(in path: String) throws(AgentError) -> [String] {
    guard let dir = opendir(path) else { throw AgentError.system("list", path, errno: errno) }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafePointer(to: &entry.pointee.d_name) {
        String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }

  static func list(_ path: String, depth: Int, limit: Int) throws(AgentError) -> [Cove_Agent_V1_FileInfo] {
    let root = try lstatInfo(path)
    guard root.type == .directory else { throw AgentError.system("list", path, errno: ENOTDIR) }
    var result: [Cove_Agent_V1_FileInfo] = []
    func walk(_ dir: String, _ level: Int) throws(AgentError) {
      for name in try names(in: dir) {
        guard result.count < limit else {
          throw AgentError(.resourceExhausted, "list \(path): more than \(limit) entries; list less deep")
        }
        let child = join(dir, name)
        guard let entry = try? lstatInfo(child) else { continue }  // removed meanwhile
        result.append(entry)
        if entry.type == .directory && level < depth { try walk(child, level + 1) }
      }
    }
    try walk(path, 1)
    return result
  }

  static func makeDirectory(_ path: String, parents: Bool, mode: mode_t) throws(AgentError) {
    if mkdir(path, mode) == 0 { return }
    let err = errno
    if parents {
      var st = stat()
      if err == EEXIST, stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { return }
      if err == ENOENT {
        let parent = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        try makeDirectory(parent.isEmpty ? "/" : parent, parents: true, mode: 0o755)
        try retrying("mkdir", path) { mkdir(path, mode) }
        return
      }
    }
    throw AgentError.system("mkdir", path, errno: err)
  }

  static func remove(_ path: String, recursive: Bool) throws(AgentError) {
    guard path != "/" else { throw AgentError(.invalidArgument, "refusing to remove /") }
    let entry = try lstatInfo(path)
    if entry.type != .directory {
      try retrying("remove", path) { unlink(path) }
      return
    }
    if recursive {
      for name in try names(in: path) { try remove(join(path, name), recursive: true) }
    }
    if rmdir(path) != 0 {
      let err = errno
      if err == ENOTEMPTY {
        throw AgentError(.failedPrecondition, "remove \(path): directory not empty; remove it recursively")
      }
      throw AgentError.system("remove", path, errno: err)
    }
  }
}
