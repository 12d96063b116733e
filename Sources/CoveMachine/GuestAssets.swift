import CoveImages
import Foundation
import Logging

/// Finds or makes what a guest boots from (kernel, agent, initramfs, root
/// image) and turns it into a ``MachineConfiguration``. Everything is checked
/// here, before any QEMU starts.
public struct GuestAssets: Sendable {
  public var home: CoveHome
  /// The static agent binary; found by ``locateAgent(environment:executable:home:)`` when nil.
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
    let agent = try agent ?? Self.locateAgent(home: home)
    let kernel = try await kernel()
    let initramfs = try Initramfs(home: home).path(agent: agent, kernel: kernel)
    let image = try await image(named: name)
    return MachineConfiguration(kernel: kernel, initramfs: initramfs, rootImage: image.path)
  }

  /// These assets with the agent found now (``locateAgent(environment:executable:home:)``),
  /// or ``ImageError/agentNotFound(_:)`` naming every place looked at. A
  /// program that boots guests calls it at startup, to refuse to start
  /// rather than fail every boot later.
  public func resolvingAgent() throws -> GuestAssets {
    var resolved = self
    resolved.agent = try agent ?? Self.locateAgent(home: home)
    return resolved
  }

  /// The static agent, from the first of: `$COVE_AGENT`; `cove-agent`
  /// beside the running executable, or in `../lib/cove/` from it (an
  /// installed `cove`); `$COVE_HOME/bin/cove-agent`; the `static/` folder
  /// of the `.build` directory the executable was built in (where
  /// scripts/build-agent puts it); `.build/static/cove-agent` under the
  /// current directory.
  public static func locateAgent(
    environment: [String: String] = ProcessInfo.processInfo.environment,
    executable: String = runningExecutable, home: CoveHome = CoveHome()
  ) throws -> String {
    var candidates: [String] = []
    if let configured = environment["COVE_AGENT"], !configured.isEmpty { candidates.append(configured) }
    let executablePath = URL(fileURLWithPath: executable).resolvingSymlinksInPath()
    let folder = executablePath.deletingLastPathComponent()
    candidates.append(folder.appendingPathComponent("cove-agent").path)
    candidates.append(folder.appendingPathComponent("../lib/cove/cove-agent").standardized.path)
    candidates.append(home.root + "/bin/cove-agent")
    // .build/<triple>/debug/cove, or .build/debug/cove when not resolved.
    var ancestor = folder
    while ancestor.pathComponents.count > 1 {
      if ancestor.lastPathComponent == ".build" {
        candidates.append(ancestor.appendingPathComponent("static/cove-agent").path)
        break
      }
      ancestor.deleteLastPathComponent()
    }
    candidates.append(FileManager.default.currentDirectoryPath + "/.build/static/cove-agent")
    var seen: Set<String> = []
    candidates = candidates.filter { seen.insert($0).inserted }
    // A dynamically linked agent (a debug build beside a debug `cove`)
    // cannot run in a guest: pass over it, and say so if nothing else fits.
    var looked: [String] = []
    for candidate in candidates {
      guard FileManager.default.isExecutableFile(atPath: candidate) else {
        looked.append(candidate)
        continue
      }
      if isStatic(candidate) { return candidate }
      looked.append(candidate + " (not a static executable)")
    }
    throw ImageError.agentNotFound(looked)
  }

  /// The path of this process's executable: /proc/self/exe, which holds
  /// even when it was started by a bare name found on `PATH`.
  public static var runningExecutable: String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
      ?? CommandLine.arguments.first ?? ""
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
