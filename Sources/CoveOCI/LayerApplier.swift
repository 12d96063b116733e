import CCoveOCI

#if canImport(Glibc)
  import Glibc
#endif

/// Applies layers to a root directory the way the OCI image spec says: in
/// order, each member replacing what lower layers left at its path,
/// `.wh.NAME` removing NAME from below and `.wh..wh..opq` emptying its
/// directory of what lower layers put there.
///
/// Every path is resolved inside the root by Cove itself, one component at
/// a time with `O_NOFOLLOW`: a symlink a layer left is followed as if the
/// root were `/` (as a container would see it), never out to the host, and
/// `..` stops at the root. That is the reason for not running `tar -x`
/// over the root: tar follows a symlink an earlier layer made, so a hostile
/// image could write anywhere on the host.
public final class LayerApplier {
  /// What could not be made exactly as the layer says, because Cove does
  /// not run as root: the owner it should have, or a device node.
  public struct Deferred: Sendable, Equatable {
    public var path: String
    public var entry: TarEntry
  }

  let rootFD: Int32
  let privileged: Bool
  /// Canonical paths the current layer created, which an opaque marker of
  /// the same layer must not remove.
  private var created: Set<String> = []
  public private(set) var deferred: [Deferred] = []
  public private(set) var skippedXattrs: [String] = []
  /// Directories whose mode keeps their owner out, opened up while an
  /// unprivileged unpack runs (see ``finish()``).
  private var lockedDirectories: [(path: String, mode: UInt32)] = []
  /// Asked between members; true stops the unpack (its task was cancelled).
  var isCancelled: () -> Bool = { false }

  public init(root: String, privileged: Bool = geteuid() == 0) throws(OCIError) {
    rootFD = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard rootFD >= 0 else { throw OCIError(.io, "cannot open \(root): \(errnoText(errno))") }
    self.privileged = privileged
  }

  deinit { close(rootFD) }

  /// Applies every member of one layer's tar stream.
  public func apply(_ reader: TarReader) throws(OCIError) {
    created = []
    while let entry = try reader.next() {
      if isCancelled() { throw OCIError(.unpack, "cancelled") }
      try apply(entry, reader)
    }
  }

  func apply(_ entry: TarEntry, _ reader: TarReader) throws(OCIError) {
    let parts = Self.clean(entry.path)
    guard let base = parts.last else { return }  // the root itself
    let (parent, parentPath) = try openDirectory(Array(parts.dropLast()), create: true)
    defer { close(parent) }
    let path = (parentPath + [base]).joined(separator: "/")
    if base.hasPrefix(".wh.") {
      if base == ".wh..wh..opq" {
        try removeChildren(parent, keepingCreatedUnder: parentPath.joined(separator: "/"))
      } else {
        try removeTree(parent, String(base.dropFirst(4)), path: path)
      }
      return
    }
    var st = stat()
    if fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0 {
      let bothDirectories = entry.kind == .directory && (st.st_mode & S_IFMT) == S_IFDIR
      if !bothDirectories { try removeTree(parent, base, path: path) }
    }
    switch entry.kind {
    case .directory:
      if mkdirat(parent, base, 0o700) != 0 && errno != EEXIST { throw failure("creating directory", path) }
      let fd = openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
      guard fd >= 0 else { throw failure("opening directory", path) }
      defer { close(fd) }
      try setAttributes(fd: fd, entry, path)
    case .file:
      let fd = openat(parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
      guard fd >= 0 else { throw failure("creating file", path) }
      defer { close(fd) }
      try reader.readData { chunk throws(OCIError) in
        let err = writeAll(fd, chunk)
        if err != 0 { throw OCIError(.unpack, "writing /\(path): \(errnoText(err))") }
      }
      try setAttributes(fd: fd, entry, path)
    case .symlink:
      guard symlinkat(entry.linkName, parent, base) == 0 else { throw failure("creating symlink", path) }
      if fchownat(parent, base, entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW) != 0 { defer_(path, entry) }
      var times = Self.times(entry.modified)
      utimensat(parent, base, &times, AT_SYMLINK_NOFOLLOW)
    case .hardLink:
      let targetParts = Self.clean(entry.linkName)
      guard let targetBase = targetParts.last else { throw OCIError(.unpack, "hard link /\(path) to the root") }
      let (targetParent, _) = try openDirectory(Array(targetParts.dropLast()), create: false)
      defer { close(targetParent) }
      guard linkat(targetParent, targetBase, parent, base, 0) == 0 else {
        throw failure("linking to /\(entry.linkName) at", path)
      }
    case .characterDevice, .blockDevice, .fifo:
      let type = entry.kind == .fifo ? S_IFIFO : entry.kind == .blockDevice ? S_IFBLK : S_IFCHR
      let device = Self.device(entry.deviceMajor, entry.deviceMinor)
      if mknodat(parent, base, type | mode_t(entry.mode), device) != 0 {
        // Only root makes device nodes; the image build adds them later.
        guard errno == EPERM, !privileged else { throw failure("creating device", path) }
        deferred.append(Deferred(path: path, entry: entry))
        break
      }
      if fchownat(parent, base, entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW) != 0 { defer_(path, entry) }
      fchmodat(parent, base, mode_t(entry.mode), 0)
    }
    created.insert(path)
  }

  /// Gives directories opened up for an unprivileged unpack their own
  /// modes, deepest first; call after the last layer.
  public func finish() {
    for (path, mode) in lockedDirectories.reversed() {
      fchmodat(rootFD, path, mode_t(mode), 0)
    }
    lockedDirectories = []
  }

  /// Owner, then mode (a chown clears setuid), then extended attributes and
  /// the modification time.
  func setAttributes(fd: Int32, _ entry: TarEntry, _ path: String) throws(OCIError) {
    if fchown(fd, entry.uid, entry.gid) != 0 {
      guard errno == EPERM, !privileged else { throw failure("setting the owner of", path) }
      defer_(path, entry)
    }
    var mode = entry.mode
    if entry.kind == .directory && !privileged && mode & 0o700 != 0o700 {
      // Without root a directory must stay writable by its owner while
      // layers fill it (and whiteouts empty it); its mode comes at the end.
      lockedDirectories.append((path, mode))
      mode |= 0o700
    }
    guard fchmod(fd, mode_t(mode)) == 0 else { throw failure("setting the mode of", path) }
    for (name, value) in entry.xattrs.sorted(by: { $0.key < $1.key }) {
      let result = value.withUnsafeBytes { fsetxattr(fd, name, $0.baseAddress, $0.count, 0) }
      // security.* and trusted.* need root; a file system may refuse others.
      if result != 0 { skippedXattrs.append("/\(path) \(name): \(errnoText(errno))") }
    }
    if entry.kind != .directory {
      var times = Self.times(entry.modified)
      futimens(fd, &times)
    }
  }

  private func defer_(_ path: String, _ entry: TarEntry) {
    deferred.append(Deferred(path: path, entry: entry))
  }

  private func failure(_ what: String, _ path: String) -> OCIError {
    OCIError(.unpack, "\(what) /\(path): \(errnoText(errno))")
  }

  // MARK: - Paths inside the root

  /// `path`'s components with `.` dropped and `..` taken back, never above
  /// the root (as the kernel treats `..` at `/`).
  static func clean(_ path: String) -> [String] {
    var parts: [String] = []
    for part in path.split(separator: "/") {
      if part == "." { continue }
      if part == ".." {
        if !parts.isEmpty { parts.removeLast() }
      } else {
        parts.append(String(part))
      }
    }
    return parts
  }

  /// Opens the directory at `parts` inside the root, following symlinks
  /// within the root and making missing directories when `create`.
  /// Returns its descriptor and its path without symlinks.
  func openDirectory(_ parts: [String], create: Bool) throws(OCIError) -> (Int32, [String]) {
    var fd = dup(rootFD)
    var resolved: [String] = []
    var queue = parts
    var hops = 0
    while !queue.isEmpty {
      let part = queue.removeFirst()
      if part.isEmpty || part == "." { continue }
      if part == ".." {
        if !resolved.isEmpty { resolved.removeLast() }
        close(fd)
        fd = try reopen(resolved)
        continue
      }
      let next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
      if next >= 0 {
        close(fd)
        fd = next
        resolved.append(part)
        continue
      }
      var st = stat()
      if fstatat(fd, part, &st, AT_SYMLINK_NOFOLLOW) != 0 {
        guard errno == ENOENT, create else {
          close(fd)
          throw OCIError(.unpack, "/\((resolved + [part]).joined(separator: "/")): \(errnoText(errno))")
        }
        // Archives may leave out a parent; tar makes it, so does Cove.
        if mkdirat(fd, part, 0o755) != 0 && errno != EEXIST {
          close(fd)
          throw OCIError(.unpack, "creating /\((resolved + [part]).joined(separator: "/")): \(errnoText(errno))")
        }
        queue.insert(part, at: 0)
        continue
      }
      guard (st.st_mode & S_IFMT) == S_IFLNK else {
        close(fd)
        throw OCIError(.unpack, "/\((resolved + [part]).joined(separator: "/")) is not a directory")
      }
      hops += 1
      guard hops <= 40, let target = readLink(fd, part) else {
        close(fd)
        throw OCIError(.unpack, "too many symlinks at /\((resolved + [part]).joined(separator: "/"))")
      }
      if target.hasPrefix("/") {
        resolved = []
        close(fd)
        fd = dup(rootFD)
      }
      queue.insert(contentsOf: target.split(separator: "/").map(String.init), at: 0)
    }
    return (fd, resolved)
  }

  private func reopen(_ resolved: [String]) throws(OCIError) -> Int32 {
    var fd = dup(rootFD)
    for part in resolved {
      let next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
      close(fd)
      guard next >= 0 else { throw OCIError(.unpack, "reopening /\(resolved.joined(separator: "/"))") }
      fd = next
    }
    return fd
  }

  private func readLink(_ fd: Int32, _ name: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 4097)
    let n = readlinkat(fd, name, &buffer, 4096)
    guard n >= 0 else { return nil }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  // MARK: - Removal

  /// Removes `name` in `directory`, a whole tree if it is a directory; a
  /// name that is not there is fine (a whiteout of nothing).
  func removeTree(_ directory: Int32, _ name: String, path: String) throws(OCIError) {
    var st = stat()
    guard fstatat(directory, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return }
    if (st.st_mode & S_IFMT) == S_IFDIR {
      let fd = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
      guard fd >= 0 else { throw OCIError(.unpack, "opening /\(path) to remove it: \(errnoText(errno))") }
      defer { close(fd) }
      for child in try children(fd) { try removeTree(fd, child, path: path + "/" + child) }
      guard unlinkat(directory, name, AT_REMOVEDIR) == 0 else {
        throw OCIError(.unpack, "removing /\(path): \(errnoText(errno))")
      }
    } else if unlinkat(directory, name, 0) != 0 {
      throw OCIError(.unpack, "removing /\(path): \(errnoText(errno))")
    }
  }

  func removeChildren(_ directory: Int32, keepingCreatedUnder prefix: String) throws(OCIError) {
    for child in try children(directory) {
      let path = prefix.isEmpty ? child : prefix + "/" + child
      if !created.contains(path) { try removeTree(directory, child, path: path) }
    }
  }

  private func children(_ directory: Int32) throws(OCIError) -> [String] {
    let fd = dup(directory)
    guard fd >= 0, let stream = fdopendir(fd) else {
      throw OCIError(.unpack, "listing a directory: \(errnoText(errno))")
    }
    defer { closedir(stream) }
    rewinddir(stream)
    var names: [String] = []
    while let item = readdir(stream) {
      let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  // MARK: - Small conversions

  static func times(_ seconds: Int64) -> [timespec] {
    let time = timespec(tv_sec: Int(seconds), tv_nsec: 0)
    return [time, time]
  }

  static func device(_ major: UInt32, _ minor: UInt32) -> dev_t {
    // glibc's makedev: 12 bits of major and 8 of minor low, the rest high.
    let major = UInt64(major)
    let minor = UInt64(minor)
    let high: UInt64 = ((major & 0xffff_f000) << 32) | ((minor & 0xffff_ff00) << 12)
    let low: UInt64 = ((major & 0xfff) << 8) | (minor & 0xff)
    return dev_t(high | low)
  }
}
