import Foundation

/// The uid each VM's QEMU runs as when Cove is root: one per running VM,
/// from a range no account uses, so that a QEMU taken over by its guest
/// cannot signal, trace or read the memory of another sandbox's QEMU, nor
/// open a file an account owns beyond what the world may.
///
/// A claim is a file named by the uid in ``claims`` holding the VM's
/// directory; every Cove process of the host (daemons, `cove run`, tests)
/// claims there, under one lock. A claim whose VM directory is gone was
/// left by a crash and is taken again; a VM's claim is released before its
/// directory is removed, so a live VM's claim never looks abandoned.
enum VMMUser {
  static let claims = "/run/cove-vmm-uids"

  /// Claims a free uid in `range` for the VM in `directory`. Refuses a
  /// range that holds an account's uid or gid (/etc/passwd, /etc/group).
  static func claim(in range: ClosedRange<UInt32>, for directory: VMDirectory) throws(ConfinementError) -> UInt32 {
    if let taken = accountIDs().first(where: { range.contains($0) }) {
      throw ConfinementError(
        .user, "the uid range \(range.lowerBound)-\(range.upperBound) for QEMU holds an account's id, \(taken)")
    }
    return try locked { () throws(ConfinementError) -> UInt32 in
      // From a random point, so claims rarely meet an existing one.
      let count = UInt64(range.upperBound - range.lowerBound) + 1
      let start = UInt64.random(in: 0..<count)
      for step in 0..<count {
        let uid = range.lowerBound + UInt32((start + step) % count)
        let path = "\(claims)/\(uid)"
        if let holder = try? String(contentsOfFile: path, encoding: .utf8),
          FileManager.default.fileExists(atPath: holder)
        {
          continue
        }
        do {
          try directory.path.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
          throw ConfinementError(.user, "cannot claim uid \(uid) in \(claims): \(error)")
        }
        return uid
      }
      throw ConfinementError(.user, "every uid of \(range.lowerBound)-\(range.upperBound) runs a VM")
    }
  }

  /// Releases the claim the VM in `directory` holds, if any.
  static func release(for directory: VMDirectory) {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: claims) else { return }
    try? locked { () throws(ConfinementError) in
      for name in names where UInt32(name) != nil {
        let path = "\(claims)/\(name)"
        if (try? String(contentsOfFile: path, encoding: .utf8)) == directory.path { unlink(path) }
      }
    }
  }

  /// The uid of the claim the VM in `directory` holds.
  static func claimed(by directory: VMDirectory) -> UInt32? {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: claims)) ?? []
    return names.first { (try? String(contentsOfFile: "\(claims)/\($0)", encoding: .utf8)) == directory.path }
      .flatMap { UInt32($0) }
  }

  /// Runs `body` holding the host-wide claims lock (flock; a crashed
  /// holder's lock goes with its process).
  private static func locked<R>(_ body: () throws(ConfinementError) -> R) throws(ConfinementError) -> R {
    if mkdir(claims, 0o700) != 0 && errno != EEXIST {
      throw ConfinementError(.user, "cannot make \(claims)", errno: errno)
    }
    let fd = open(claims + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw ConfinementError(.user, "cannot open \(claims)/.lock", errno: errno) }
    defer { close(fd) }
    while flock(fd, LOCK_EX) != 0 {
      guard errno == EINTR else { throw ConfinementError(.user, "cannot lock \(claims)/.lock", errno: errno) }
    }
    return try body()
  }

  /// The uids and gids of the host's accounts and groups.
  static func accountIDs(passwd: String = "/etc/passwd", group: String = "/etc/group") -> [UInt32] {
    [passwd, group].flatMap { path in
      ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { line in
        let fields = line.split(separator: ":", omittingEmptySubsequences: false)
        return fields.count > 2 ? UInt32(fields[2]) : nil
      }
    }
  }
}
