#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A user as /etc/passwd and /etc/group describe it. The agent reads those
/// files itself: a static binary cannot rely on the NSS libraries of the
/// guest image.
public struct GuestUser: Equatable, Sendable {
  public var name: String
  public var uid: UInt32
  public var gid: UInt32
  public var home: String
  public var shell: String
  public var groups: [UInt32]
}

extension GuestUser {
  /// Where the user's commands start: the home directory, or `/` when the
  /// home does not exist (`nobody`'s is /nonexistent).
  var startDirectory: String {
    var st = stat()
    return stat(home, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR ? home : "/"
  }
}

public enum UserDatabase {
  /// Finds a user by name or numeric uid in the given file contents.
  public static func lookup(_ user: String, passwd: String, group: String) -> GuestUser? {
    let numeric = UInt32(user)
    for line in passwd.split(separator: "\n") {
      let f = line.split(separator: ":", omittingEmptySubsequences: false)
      guard f.count >= 7, let uid = UInt32(f[2]), let gid = UInt32(f[3]) else { continue }
      if f[0] == user || uid == numeric {
        let name = String(f[0])
        return GuestUser(
          name: name, uid: uid, gid: gid, home: String(f[5]), shell: String(f[6]),
          groups: supplementaryGroups(of: name, primary: gid, group: group))
      }
    }
    if let numeric {
      return GuestUser(name: user, uid: numeric, gid: numeric, home: "/", shell: "/bin/sh", groups: [numeric])
    }
    return nil
  }

  static func supplementaryGroups(of name: String, primary: UInt32, group: String) -> [UInt32] {
    var gids = [primary]
    for line in group.split(separator: "\n") {
      let f = line.split(separator: ":", omittingEmptySubsequences: false)
      guard f.count >= 4, let gid = UInt32(f[2]) else { continue }
      if f[3].split(separator: ",").contains(Substring(name)), !gids.contains(gid) { gids.append(gid) }
    }
    return gids
  }

  /// Finds a group's id by name or number in the given /etc/group contents;
  /// a number that no line names is taken as it is.
  public static func groupID(_ name: String, group: String) -> UInt32? {
    for line in group.split(separator: "\n") {
      let f = line.split(separator: ":", omittingEmptySubsequences: false)
      guard f.count >= 3, let gid = UInt32(f[2]) else { continue }
      if f[0] == name { return gid }
    }
    return UInt32(name)
  }

  /// Looks a user up in this machine's /etc/passwd and /etc/group.
  public static func lookup(_ user: String) -> GuestUser? {
    lookup(user, passwd: readSmallFile("/etc/passwd") ?? "", group: readSmallFile("/etc/group") ?? "")
  }

  /// Looks a group up in this machine's /etc/group.
  public static func groupID(_ name: String) -> UInt32? {
    groupID(name, group: readSmallFile("/etc/group") ?? "")
  }
}
