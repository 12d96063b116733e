import CoveAgentProto

/// Parses the records that a read of an inotify descriptor returns.
enum InotifyEvent {
  static let create: UInt32 = 0x100, modify: UInt32 = 0x2, closeWrite: UInt32 = 0x8
  static let delete: UInt32 = 0x200, deleteSelf: UInt32 = 0x400, movedFrom: UInt32 = 0x40
  static let movedTo: UInt32 = 0x80, attrib: UInt32 = 0x4, isDirectory: UInt32 = 0x4000_0000

  static func parse(_ bytes: [UInt8], directory: GuestPath) -> [Cove_Agent_V1_WatchEvent] {
    var events: [Cove_Agent_V1_WatchEvent] = []
    var offset = 0
    func u32(_ at: Int) -> UInt32 {
      UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }
    while offset + 16 <= bytes.count {
      let mask = u32(offset + 4)
      let length = Int(u32(offset + 12))
      guard offset + 16 + length <= bytes.count else { break }
      let nameBytes = bytes[(offset + 16)..<(offset + 16 + length)].prefix { $0 != 0 }
      offset += 16 + length
      let kind: Cove_Agent_V1_WatchEvent.Kind
      if mask & (create | movedTo) == create {
        kind = .create
      } else if mask & movedTo != 0 {
        kind = .rename
      } else if mask & (modify | closeWrite) != 0 {
        kind = .write
      } else if mask & (delete | deleteSelf) != 0 {
        kind = .remove
      } else if mask & movedFrom != 0 {
        kind = .rename
      } else if mask & attrib != 0 {
        kind = .chmod
      } else {
        continue
      }
      events.append(
        .with {
          $0.kind = kind
          $0.path = (nameBytes.isEmpty ? directory : directory.appending(nameBytes)).text
          $0.isDirectory = mask & isDirectory != 0
        })
    }
    return events
  }
}
