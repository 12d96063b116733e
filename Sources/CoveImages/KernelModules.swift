import Foundation

/// Kernel modules of one kernel tree and the order to load them in.
///
/// Debian's kernel package ships no modules.dep (depmod writes it at install
/// time), so the dependencies come from each module's own `.modinfo`
/// `depends=` record, the same data depmod reads.
public struct KernelModules {
  /// The modules a Cove guest needs: the virtio transport of the microvm
  /// machine and the devices Cove attaches.
  public static let guestDrivers = ["virtio_mmio", "virtio_blk", "virtio_console", "virtio_rng", "virtio_net"]

  /// Module name (with '-' read as '_') to file path.
  public let files: [String: String]

  public init(tree: String) throws {
    var files: [String: String] = [:]
    guard let walker = FileManager.default.enumerator(atPath: tree) else {
      throw ImageError.invalidSource("no module tree at \(tree)")
    }
    while let relative = walker.nextObject() as? String {
      guard relative.hasSuffix(".ko") else { continue }
      let name = Self.normalized(String(relative.split(separator: "/").last!.dropLast(3)))
      files[name] = tree + "/" + relative
    }
    self.files = files
  }

  /// `names` and everything they depend on, each after its dependencies.
  public func loadOrder(for names: [String]) throws -> [String] {
    var ordered: [String] = []
    var seen: Set<String> = []
    func visit(_ name: String) throws {
      let name = Self.normalized(name)
      guard !seen.contains(name) else { return }
      seen.insert(name)
      guard let path = files[name] else { throw ImageError.moduleMissing(name) }
      let module = try Data(contentsOf: URL(fileURLWithPath: path))
      for dependency in Self.dependencies(inModule: module) { try visit(dependency) }
      ordered.append(path)
    }
    for name in names { try visit(name) }
    return ordered
  }

  /// The `depends=` list of a module file's `.modinfo` section.
  public static func dependencies(inModule module: Data) -> [String] {
    let key = Data("\0depends=".utf8)
    guard let found = module.range(of: key) else { return [] }
    let end = module[found.upperBound...].firstIndex(of: 0) ?? module.endIndex
    let list = String(decoding: module[found.upperBound..<end], as: UTF8.self)
    return list.split(separator: ",").map { normalized(String($0)) }
  }

  static func normalized(_ name: String) -> String { name.replacingOccurrences(of: "-", with: "_") }
}
