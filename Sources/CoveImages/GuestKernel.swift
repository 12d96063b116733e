import Crypto
import Foundation

/// A kernel to boot guests with, and the modules the agent loads, in order.
public struct GuestKernel: Codable, Sendable, Equatable {
  /// The kernel release, such as `6.1.0-56-cloud-amd64`, or `custom`.
  public var release: String
  /// Where it came from: a Debian package name and version, or a path.
  public var source: String
  public var vmlinuz: String
  public var vmlinuzSHA256: String
  /// Module files in load order (dependencies first).
  public var modules: [String]

  public init(release: String, source: String, vmlinuz: String, vmlinuzSHA256: String, modules: [String]) {
    self.release = release
    self.source = source
    self.vmlinuz = vmlinuz
    self.vmlinuzSHA256 = vmlinuzSHA256
    self.modules = modules
  }

  /// A kernel the user supplies: a vmlinuz and, optionally, the module tree
  /// it needs (a directory holding the .ko files). Without a module tree the
  /// kernel must have the virtio drivers built in.
  public static func custom(vmlinuz: String, moduleTree: String?) throws -> GuestKernel {
    guard FileManager.default.fileExists(atPath: vmlinuz) else { throw ImageError.kernelNotFound(vmlinuz) }
    let modules = try moduleTree.map { try KernelModules(tree: $0).loadOrder(for: KernelModules.guestDrivers) }
    return GuestKernel(
      release: "custom", source: vmlinuz, vmlinuz: vmlinuz, vmlinuzSHA256: try sha256(ofFile: vmlinuz),
      modules: modules ?? [])
  }
}

/// The SHA-256 of a file, in hex.
public func sha256(ofFile path: String) throws -> String {
  guard let handle = FileHandle(forReadingAtPath: path) else { throw ImageError.kernelNotFound(path) }
  defer { try? handle.close() }
  var hasher = SHA256()
  while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
  return hasher.finalize().map { String(format: "%02x", $0) }.joined()
}
