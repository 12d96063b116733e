import Foundation

/// Writes a cpio archive in the "newc" format, the one the Linux kernel
/// unpacks as an initramfs. Entries carry mtime 0 and owner root, so the
/// same inputs always give the same bytes.
public struct CPIOArchive {
  public enum Entry {
    case directory(String, mode: UInt32 = 0o755)
    case file(String, Data, mode: UInt32 = 0o644)
    case symlink(String, target: String)
    case characterDevice(String, major: UInt32, minor: UInt32, mode: UInt32 = 0o600)
  }

  private(set) public var data = Data()
  private var nextInode: UInt32 = 1

  public init() {}

  public mutating func append(_ entry: Entry) {
    switch entry {
    case .directory(let name, let mode):
      appendRecord(name: name, mode: 0o040000 | mode, body: Data(), links: 2)
    case .file(let name, let body, let mode):
      appendRecord(name: name, mode: 0o100000 | mode, body: body)
    case .symlink(let name, let target):
      appendRecord(name: name, mode: 0o120777, body: Data(target.utf8))
    case .characterDevice(let name, let major, let minor, let mode):
      appendRecord(name: name, mode: 0o020000 | mode, body: Data(), device: (major, minor))
    }
  }

  /// The archive with its closing trailer record.
  public func finished() -> Data {
    var copy = self
    copy.appendRecord(name: "TRAILER!!!", mode: 0, body: Data(), links: 1, inode: 0)
    return copy.data
  }

  private mutating func appendRecord(
    name: String, mode: UInt32, body: Data, links: UInt32 = 1, device: (UInt32, UInt32) = (0, 0),
    inode: UInt32? = nil
  ) {
    let nameBytes = Data(name.utf8) + [0]
    let fields: [UInt32] = [
      inode ?? nextInode, mode, 0, 0, links, 0, UInt32(body.count), 0, 0, device.0, device.1,
      UInt32(nameBytes.count), 0,
    ]
    if inode == nil { nextInode += 1 }
    var header = "070701"
    for field in fields {
      let hex = String(field, radix: 16, uppercase: true)
      header += String(repeating: "0", count: 8 - hex.count) + hex
    }
    data.append(contentsOf: header.utf8)
    data.append(nameBytes)
    pad()
    data.append(body)
    pad()
  }

  private mutating func pad() {
    let remainder = data.count % 4
    if remainder != 0 { data.append(contentsOf: [UInt8](repeating: 0, count: 4 - remainder)) }
  }
}
