import CoveImages
import Foundation
import Logging

/// Finds or makes what a guest boots from (kernel, agent, initramfs, root
/// image) and turns it into a ``MachineConfiguration``. Everything is checked
/// here, before any QEMU starts.
public struct GuestAssets: Sendable {
  public var home: CoveHome
  /// The static agent binary; found by ``locateAgent()`` when nil.
  public var agent: String?
  /// A user-supplied kernel instead of the distribution's.
  public var customKernel: String?
  public var customModules: String?
  let logger: Logger

  public init(home: CoveHome = CoveHome(), logger: Logger = Logger(label: "cove.assets")) {
    self.home = home
    self.logger = logger
  }

  public func kernel() async throws -> GuestKernel {
    if let customKernel { return try GuestKernel.custom(vmlinuz: customKernel, moduleTree: customModules) }
    return try await KernelStore(home: home, logger: logger).kernel()
  }

  /// The named image; a built-in one (busybox, debian) is built on first use.
  public func image(named name: String) async throws -> ImageStore.Image {
    let store = ImageStore(home: home, logger: logger)
    do {
      return try store.image(named: name)
    } catch ImageError.imageNotFound where ImageStore.builtinNames.contains(name) {
      logger.notice("building the \(name) image on first use")
      do {
        return try await store.buildBuiltin(named: name)
      } catch ImageError.imageExists {
        // Another process (a second daemon, a parallel test) built it meanwhile.
        return try store.image(named: name)
      }
    }
  }

  public func configuration(image name: String) async throws -> MachineConfiguration {
    let agent = try agent ?? Self.locateAgent()
    let kernel = try await kernel()
    let initramfs = try Initramfs(home: home).path(agent: agent, kernel: kernel)
    let image = try await image(named: name)
    return MachineConfiguration(kernel: kernel, initramfs: initramfs, rootImage: image.path)
  }

  /// The static agent: `$COVE_AGENT`, or `cove-agent` in `static/` beside the
  /// build folder of this executable (where scripts/build-agent puts it), or
  /// installed beside it.
  public static func locateAgent(
    environment: [String: String] = ProcessInfo.processInfo.environment,
    executable: String = CommandLine.arguments.first ?? ""
  ) throws -> String {
    var candidates: [String] = []
    if let configured = environment["COVE_AGENT"], !configured.isEmpty { candidates.append(configured) }
    let executablePath = URL(fileURLWithPath: executable).resolvingSymlinksInPath()
    let folder = executablePath.deletingLastPathComponent()
    candidates.append(folder.deletingLastPathComponent().appendingPathComponent("static/cove-agent").path)
    candidates.append(folder.appendingPathComponent("../lib/cove/cove-agent").standardized.path)
    candidates.append(FileManager.default.currentDirectoryPath + "/.build/static/cove-agent")
    for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
      guard isStatic(candidate) else {
        throw ImageError.invalidSource("\(candidate) is not a static executable; build it with scripts/build-agent")
      }
      return candidate
    }
    throw ImageError.agentNotFound(candidates)
  }

  /// A dynamically linked ELF names its loader near the start of the file.
  static func isStatic(_ path: String) -> Bool {
    guard let handle = FileHandle(forReadingAtPath: path), let head = try? handle.read(upToCount: 4096) else {
      return false
    }
    try? handle.close()
    return head.starts(with: [0x7F, 0x45, 0x4C, 0x46]) && head.range(of: Data("/ld-linux".utf8)) == nil
  }
}
