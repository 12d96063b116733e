import Foundation
import Logging

/// Fetches the distribution's cloud kernel and keeps it under
/// `$COVE_HOME/kernels/RELEASE/`: the vmlinuz, the modules a guest needs,
/// and `kernel.json` with the package, checksums and module load order.
public struct KernelStore: Sendable {
  /// Debian's meta-package that always depends on the current cloud kernel.
  public static let metaPackage = "linux-image-cloud-amd64"

  public let home: CoveHome
  let logger: Logger

  public init(home: CoveHome, logger: Logger = Logger(label: "cove.kernel")) {
    self.home = home
    self.logger = logger
  }

  /// The newest kernel already fetched, if any.
  public func cached() -> GuestKernel? {
    let releases = (try? FileManager.default.contentsOfDirectory(atPath: home.kernels)) ?? []
    for release in releases.sorted().reversed() where !release.contains(".old-") {
      let manifest = "\(home.kernels)/\(release)/kernel.json"
      if let data = FileManager.default.contents(atPath: manifest),
        let kernel = try? JSONDecoder().decode(GuestKernel.self, from: data)
      {
        return kernel
      }
    }
    return nil
  }

  /// The cached kernel, fetching it first when there is none.
  public func kernel() async throws -> GuestKernel {
    if let kernel = cached() { return kernel }
    return try await fetch(replacing: false)
  }

  /// Downloads the current cloud kernel package with apt and unpacks what a
  /// guest needs from it. Without `replacing`, a kernel of the same release
  /// that another process put in place meanwhile is kept and returned (the
  /// first to finish wins; nobody removes a kernel another is reading).
  @discardableResult
  public func fetch(replacing: Bool = true) async throws -> GuestKernel {
    let package = try await currentPackage()
    logger.info("fetching the guest kernel", metadata: ["package": "\(package)"])
    let scratch = try home.scratchDirectory("kernel")
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    try await HostCommand.run("apt-get", ["download", "-q", package], in: scratch, package: "apt")
    let debs = try FileManager.default.contentsOfDirectory(atPath: scratch).filter { $0.hasSuffix(".deb") }
    guard let deb = debs.first else { throw ImageError.kernelPackageUnknown("apt-get download gave no .deb") }
    let debSHA = try sha256(ofFile: "\(scratch)/\(deb)")
    try await HostCommand.run("dpkg-deb", ["-x", "\(scratch)/\(deb)", "\(scratch)/tree"], package: "dpkg")
    let release = String(package.dropFirst("linux-image-".count))
    let staged = try home.scratchDirectory("kernel-\(release)")
    // Gone once renamed into place; left behind only by a failure.
    defer { try? FileManager.default.removeItem(atPath: staged) }
    let stagedModules = staged + "/modules"
    try FileManager.default.createDirectory(atPath: stagedModules, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: "\(scratch)/tree/boot/vmlinuz-\(release)", toPath: staged + "/vmlinuz")

    let final = "\(home.kernels)/\(release)"
    let order = try KernelModules(tree: "\(scratch)/tree/lib/modules/\(release)")
      .loadOrder(for: KernelModules.guestDrivers)
    var modules: [String] = []
    for path in order {
      let name = URL(fileURLWithPath: path).lastPathComponent
      try FileManager.default.copyItem(atPath: path, toPath: "\(stagedModules)/\(name)")
      modules.append("\(final)/modules/\(name)")
    }
    let kernel = GuestKernel(
      release: release, source: "\(package) (\(deb), sha256 \(debSHA))", vmlinuz: final + "/vmlinuz",
      vmlinuzSHA256: try sha256(ofFile: staged + "/vmlinuz"), modules: modules)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    try encoder.encode(kernel).write(to: URL(fileURLWithPath: staged + "/kernel.json"))
    try FileManager.default.createDirectory(atPath: home.kernels, withIntermediateDirectories: true)
    if rename(staged, final) != 0 {
      guard errno == ENOTEMPTY || errno == EEXIST else {
        throw ImageError.io("moving the kernel into place at \(final)", String(cString: strerror(errno)))
      }
      if !replacing, let existing = cached(), existing.release == release { return existing }
      // Replacing: the old tree moves aside first, so the rename stays atomic.
      let old = final + ".old-\(getpid())"
      guard rename(final, old) == 0 else {
        throw ImageError.io("moving the old kernel aside at \(final)", String(cString: strerror(errno)))
      }
      guard rename(staged, final) == 0 else {
        let reason = String(cString: strerror(errno))
        rename(old, final)
        throw ImageError.io("replacing the kernel at \(final)", reason)
      }
      try? FileManager.default.removeItem(atPath: old)
    }
    logger.info("guest kernel ready", metadata: ["release": "\(release)", "modules": "\(modules.count)"])
    return kernel
  }

  /// The versioned kernel package the meta-package depends on now.
  func currentPackage() async throws -> String {
    let output: String
    do {
      output = try await HostCommand.run("apt-cache", ["depends", Self.metaPackage], package: "apt")
    } catch {
      throw ImageError.kernelPackageUnknown("\(error) (is `apt-get update` needed?)")
    }
    for line in output.split(separator: "\n") {
      let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
      if parts.count == 2, parts[0] == "Depends", parts[1].hasPrefix("linux-image-") { return parts[1] }
    }
    throw ImageError.kernelPackageUnknown("apt-cache depends \(Self.metaPackage) names no linux-image package")
  }
}
