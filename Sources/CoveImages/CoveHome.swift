import Foundation

/// Where Cove keeps what it downloads and builds: `$COVE_HOME`, by default
/// `~/.local/share/cove`.
public struct CoveHome: Sendable {
  public let root: String

  public init(root: String? = nil) {
    if let root {
      self.root = root
    } else if let configured = ProcessInfo.processInfo.environment["COVE_HOME"], !configured.isEmpty {
      self.root = configured
    } else {
      self.root = NSHomeDirectory() + "/.local/share/cove"
    }
  }

  public var kernels: String { root + "/kernels" }
  public var initramfs: String { root + "/initramfs" }
  public var images: String { root + "/images" }

  /// A new empty directory under `root` for work that is renamed into place
  /// when done, so that an interrupted build leaves nothing half-made behind
  /// a real name.
  func scratchDirectory(_ purpose: String) throws -> String {
    let path = root + "/.partial-\(purpose)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }
}

extension FileManager {
  func isDirectory(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
  }
}
