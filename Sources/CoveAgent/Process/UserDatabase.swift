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

  /// Looks a user up in this machine's /etc/passwd and /etc/group.
  public static func lookup(_ user: String) -> GuestUser? {
    lookup(user, passwd: readSmallFile("/etc/passwd") ?? "", group: readSmallFile("/etc/group") ?? "")
  }
}
