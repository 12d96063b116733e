import Crypto
import Foundation

/// The initramfs every Cove guest boots: the static agent as `/init`, the
/// kernel modules it loads, and `/modules.list` with their order. Built once
/// per (agent, modules) pair and kept under `$COVE_HOME/initramfs/` by the
/// hash of its inputs, so it is rebuilt only when one of them changes.
public struct Initramfs {
  public let home: CoveHome

  public init(home: CoveHome) { self.home = home }

  /// The initramfs for this agent binary and kernel, building it if needed.
  public func path(agent: String, kernel: GuestKernel) throws -> String {
    guard let agentBytes = FileManager.default.contents(atPath: agent) else {
      throw ImageError.agentNotFound([agent])
    }
    var inputs: [(name: String, bytes: Data)] = []
    for module in kernel.modules {
      guard let bytes = FileManager.default.contents(atPath: module) else {
        throw ImageError.moduleMissing(module)
      }
      inputs.append((URL(fileURLWithPath: module).lastPathComponent, bytes))
    }
    var hasher = SHA256()
    hasher.update(data: Data("cove-initramfs-1\n".utf8))
    hasher.update(data: agentBytes)
    for input in inputs {
      hasher.update(data: Data(input.name.utf8))
      hasher.update(data: input.bytes)
    }
    let key = hasher.finalize().prefix(16).map { String(format: "%02x", $0) }.joined()
    let path = "\(home.initramfs)/\(key).cpio"
    if FileManager.default.fileExists(atPath: path) { return path }

    var archive = CPIOArchive()
    for directory in ["dev", "proc", "sys", "run", "tmp", "mnt", "modules"] {
      archive.append(.directory(directory))
    }
    archive.append(.characterDevice("dev/console", major: 5, minor: 1))
    archive.append(.file("init", agentBytes, mode: 0o755))
    for input in inputs { archive.append(.file("modules/\(input.name)", input.bytes)) }
    let list = inputs.map { "modules/\($0.name)\n" }.joined()
    archive.append(.file("modules.list", Data(list.utf8)))

    try FileManager.default.createDirectory(atPath: home.initramfs, withIntermediateDirectories: true)
    let temporary = path + ".partial-\(getpid())"
    try archive.finished().write(to: URL(fileURLWithPath: temporary))
    _ = rename(temporary, path)
    pruneOld(keeping: 3)
    return path
  }

  /// Removes all but the `count` newest archives: each agent build makes a
  /// new one of about 33 MB.
  func pruneOld(keeping count: Int) {
    let manager = FileManager.default
    let archives = ((try? manager.contentsOfDirectory(atPath: home.initramfs)) ?? [])
      .filter { $0.hasSuffix(".cpio") }
      .map { "\(home.initramfs)/\($0)" }
      .compactMap { path -> (String, Date)? in
        guard let modified = try? manager.attributesOfItem(atPath: path)[.modificationDate] as? Date else {
          return nil
        }
        return (path, modified)
      }
      .sorted { $0.1 > $1.1 }
    for (path, _) in archives.dropFirst(count) { try? manager.removeItem(atPath: path) }
  }
}
