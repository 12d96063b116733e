/// Finds virtio-serial ports by name. A minimal guest has no udev to make
/// /dev/virtio-ports links, and port numbers change between boots.
public enum VirtioPorts {
  /// The device path of the port called `name`, or nil.
  public static func device(named name: String, sysfs: String = "/sys/class/virtio-ports") -> String? {
    guard let ports = try? FileSystem.names(in: sysfs) else { return nil }
    for port in ports {
      let portName = readSmallFile("\(sysfs)/\(port)/name", limit: 256)?
        .trimmingCharacters(in: .init(charactersIn: "\n "))
      if portName == name { return "/dev/\(port)" }
    }
    return nil
  }
}

extension String {
  fileprivate struct Trim { let characters: Set<Character>; init(charactersIn s: String) { characters = Set(s) } }
  fileprivate func trimmingCharacters(in trim: Trim) -> String {
    Substring(self).trimmingCharacters(in: String(trim.characters))
  }
}
