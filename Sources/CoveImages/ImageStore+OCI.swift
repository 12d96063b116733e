import CoveOCI
import Foundation
import Logging

/// Root filesystem images from OCI images: pulled from a registry or
/// imported from an archive into the blob cache, unpacked, and written
/// into ext4 with `mke2fs -d`.
extension ImageStore {
  /// The blob cache every pull and import shares: `$COVE_HOME/blobs`.
  public var blobs: BlobCache { BlobCache(root: home.root + "/blobs") }

  /// A name for an image pulled as `reference` when none is given: the
  /// repository's last component, with the tag unless it is `latest`
  /// (`alpine` for alpine, `python-3.12` for python:3.12).
  public static func defaultName(for reference: ImageReference) -> String {
    var name = String(reference.repository.split(separator: "/").last ?? "image")
    if let tag = reference.tag, tag != "latest" {
      name += "-" + tag
    } else if reference.tag == nil, let digest = reference.digest {
      name += "-" + digest.short
    }
    // Lowercase: the daemon takes image names of lowercase letters only.
    let allowed = name.lowercased().map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "-" }
    return String(String(allowed).prefix(64))
  }

  /// Pulls `reference` and builds the image `name` from it.
  @discardableResult
  public func pull(
    _ reference: ImageReference, named name: String, options: RegistryClient.Options = .init(),
    replacing: Bool = false, progress: @escaping PullProgress = { _ in }
  ) async throws -> Image {
    try Self.validate(name)
    if !replacing, (try? image(named: name)) != nil { throw ImageError.imageExists(name) }
    let puller = ImagePuller(cache: blobs, client: RegistryClient(options: options, logger: logger), logger: logger)
    let fetched = try await puller.pull(reference, progress: progress)
    return try await build(named: name, from: fetched, replacing: replacing, progress: progress)
  }

  /// Imports a `docker save` archive or an OCI layout (a directory or a
  /// tar of one) and builds the image `name` from it.
  @discardableResult
  public func importArchive(
    _ path: String, named name: String, select tag: String? = nil, replacing: Bool = false,
    progress: @escaping PullProgress = { _ in }
  ) async throws -> Image {
    try Self.validate(name)
    if !replacing, (try? image(named: name)) != nil { throw ImageError.imageExists(name) }
    let fetched = try await ImageArchive(cache: blobs).load(path, select: tag, progress: progress)
    return try await build(named: name, from: fetched, replacing: replacing, progress: progress)
  }

  /// Unpacks the layers of an image already in the blob cache and writes
  /// the ext4 image, keeping the image's run defaults in its record.
  public func build(
    named name: String, from fetched: FetchedImage, replacing: Bool = false,
    progress: @escaping PullProgress = { _ in }
  ) async throws -> Image {
    sweepAbandonedBuilds()
    // The tree holds the image's setuid files and device nodes while it is
    // built; only root may enter the directory above it. The pid in its
    // name lets a later build remove what a killed one left.
    let scratch = try home.scratchDirectory("oci-\(getpid())-\(name)")
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    guard chmod(scratch, 0o700) == 0 else {
      throw ImageError.io("protecting \(scratch)", String(cString: strerror(errno)))
    }
    let root = scratch + "/rootfs"
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
    let unpacked = try await ImageUnpacker(cache: blobs, logger: logger).unpack(
      fetched.manifest.layers, into: root, progress: progress)
    for skipped in unpacked.skippedXattrs.prefix(5) {
      logger.warning("extended attribute not kept", metadata: ["attribute": "\(skipped)"])
    }
    // Files and directories the image does not make but every guest uses
    // as a mount point; the agent makes them too, on the guest's own disk.
    for directory in ["proc", "sys", "dev", "run", "tmp"] {
      var st = stat()
      if lstat(root + "/" + directory, &st) != 0 { mkdir(root + "/" + directory, 0o755) }
    }
    chmod(root + "/tmp", 0o1777)
    progress(.building)
    let deferred = unpacked.deferred
    let defaults = ImageDefaults(
      fetched.configuration, digest: fetched.manifestDigest, reference: fetched.source)
    let finishing: (@Sendable (String) async throws -> Void)? =
      deferred.isEmpty ? nil : { @Sendable image in try await Self.applyDeferred(deferred, to: image) }
    return try await build(
      named: name, fromDirectory: root, source: fetched.source, headroom: 256 << 20, replacing: replacing,
      config: defaults, finishing: finishing)
  }

  /// Removes the trees and partial ext4 files of image builds whose
  /// process is gone (killed, or stopped by Ctrl-C before it cleaned up).
  func sweepAbandonedBuilds() {
    func dead(_ pid: Substring) -> Bool {
      guard let pid = Int32(pid), pid != getpid() else { return false }
      return kill(pid, 0) != 0 && errno == ESRCH
    }
    let manager = FileManager.default
    for entry in (try? manager.contentsOfDirectory(atPath: home.root)) ?? [] where entry.hasPrefix(".partial-oci-") {
      if let pid = entry.dropFirst(".partial-oci-".count).split(separator: "-").first, dead(pid) {
        try? manager.removeItem(atPath: home.root + "/" + entry)
      }
    }
    // ImageStore.build's temporary files: NAME.ext4.partial-PID-RANDOM.
    for entry in (try? manager.contentsOfDirectory(atPath: home.images)) ?? [] {
      guard let range = entry.range(of: ".ext4.partial-") else { continue }
      if let pid = entry[range.upperBound...].split(separator: "-").first, dead(pid) {
        try? manager.removeItem(atPath: home.images + "/" + entry)
      }
    }
  }

  /// Gives files the owners, and makes the device nodes, that an unpack
  /// without root could not, by editing the finished ext4 with debugfs
  /// (which needs no privilege on a file the user owns).
  static func applyDeferred(_ deferred: [LayerApplier.Deferred], to image: String) async throws {
    func quoted(_ text: String) -> String { "\"\(text.replacingOccurrences(of: "\"", with: "\\\""))\"" }
    var script = ""
    for item in deferred {
      let path = quoted("/" + item.path)
      let entry = item.entry
      switch entry.kind {
      case .characterDevice, .blockDevice, .fifo:
        let type = entry.kind == .fifo ? "p" : entry.kind == .blockDevice ? "b" : "c"
        let numbers = entry.kind == .fifo ? "" : " \(entry.deviceMajor) \(entry.deviceMinor)"
        let typeBits: UInt32 = entry.kind == .fifo ? 0o010000 : entry.kind == .blockDevice ? 0o060000 : 0o020000
        // debugfs's mknod takes a name in its current directory, not a path.
        let parts = item.path.split(separator: "/").map(String.init)
        script += "cd \(quoted("/" + parts.dropLast().joined(separator: "/")))\n"
        script += "mknod \(quoted(parts.last ?? "")) \(type)\(numbers)\ncd /\n"
        script += "sif \(path) mode 0\(String(typeBits | entry.mode, radix: 8))\n"
      default: break
      }
      script += "sif \(path) uid \(entry.uid)\nsif \(path) gid \(entry.gid)\n"
    }
    let file = image + ".debugfs"
    try Data(script.utf8).write(to: URL(fileURLWithPath: file))
    defer { try? FileManager.default.removeItem(atPath: file) }
    try await HostCommand.run("debugfs", ["-w", "-f", file, image], package: "e2fsprogs")
  }
}
