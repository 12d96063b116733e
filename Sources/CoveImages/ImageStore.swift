import Foundation
import Logging

/// Named root filesystem images: ext4 files under `$COVE_HOME/images/`,
/// each with a small JSON record beside it. Guests never write to them; each
/// VM gets its own copy-on-write overlay.
public struct ImageStore: Sendable {
  public struct Image: Codable, Sendable, Equatable {
    public var name: String
    public var source: String
    public var sizeBytes: UInt64
    public var created: Date
    public var path: String
    /// What an OCI image says a container starts with; nil for images
    /// Cove built from a directory.
    public var config: ImageDefaults?
  }

  public let home: CoveHome
  let logger: Logger

  public init(home: CoveHome, logger: Logger = Logger(label: "cove.image")) {
    self.home = home
    self.logger = logger
  }

  public func list() -> [Image] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: home.images)) ?? []
    return names.filter { $0.hasSuffix(".json") }.sorted().compactMap { record in
      FileManager.default.contents(atPath: "\(home.images)/\(record)").flatMap {
        try? Self.decoder.decode(Image.self, from: $0)
      }
    }
  }

  public func image(named name: String) throws -> Image {
    try Self.validate(name)
    guard let data = FileManager.default.contents(atPath: recordPath(name)),
      let image = try? Self.decoder.decode(Image.self, from: data),
      FileManager.default.fileExists(atPath: image.path)
    else { throw ImageError.imageNotFound(name, available: list().map(\.name)) }
    return image
  }

  public func remove(named name: String) throws {
    let image = try image(named: name)
    try? FileManager.default.removeItem(atPath: image.path)
    try FileManager.default.removeItem(atPath: recordPath(name))
  }

  /// Builds an ext4 image from the contents of `directory` with
  /// `mke2fs -d`: no root, no loop device. The image is sized to the tree
  /// plus `headroom` bytes of free space for the guest.
  @discardableResult
  public func build(
    named name: String, fromDirectory directory: String, source: String? = nil,
    headroom: UInt64 = 256 << 20, replacing: Bool = false, config: ImageDefaults? = nil,
    finishing: (@Sendable (String) async throws -> Void)? = nil
  ) async throws -> Image {
    try Self.validate(name)
    guard FileManager.default.isDirectory(directory) else {
      throw ImageError.invalidSource("\(directory) is not a directory")
    }
    if !replacing, (try? image(named: name)) != nil { throw ImageError.imageExists(name) }
    try FileManager.default.createDirectory(atPath: home.images, withIntermediateDirectories: true)
    let used = try await HostCommand.run("du", ["-s", "--block-size=1", directory])
    let usedBytes = UInt64(used.split(separator: "\t").first ?? "0") ?? 0
    // ext4 metadata (inode tables, journal) takes a few percent on top.
    let megabytes = (usedBytes + usedBytes / 5 + headroom) / (1 << 20) + 16
    let path = "\(home.images)/\(name).ext4"
    // Unique per build: tests build the same image from several tasks of one process.
    let temporary = path + ".partial-\(getpid())-\(UUID().uuidString.prefix(8))"
    defer { try? FileManager.default.removeItem(atPath: temporary) }
    try await HostCommand.run(
      "mke2fs",
      [
        "-q", "-F", "-t", "ext4", "-L", String(name.prefix(16)), "-E", "root_owner=0:0", "-d", directory, temporary,
        "\(megabytes)M",
      ],
      package: "e2fsprogs")
    try await finishing?(temporary)
    // rename() replaces atomically; a VM using the old file keeps its inode.
    guard rename(temporary, path) == 0 else {
      throw ImageError.io("moving the image into place at \(path)", String(cString: strerror(errno)))
    }
    let image = Image(
      name: name, source: source ?? "directory \(directory)", sizeBytes: megabytes << 20, created: Date(),
      path: path, config: config)
    try Self.encoder.encode(image).write(to: URL(fileURLWithPath: recordPath(name)), options: .atomic)
    logger.info("image built", metadata: ["name": "\(name)", "size": "\(megabytes) MiB"])
    return image
  }

  func recordPath(_ name: String) -> String { "\(home.images)/\(name).json" }

  static func validate(_ name: String) throws {
    let allowed = name.utf8.allSatisfy {
      (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0)
        || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
    }
    guard allowed, (1...64).contains(name.utf8.count), let first = name.utf8.first,
      first != UInt8(ascii: "-"), first != UInt8(ascii: "."), first != UInt8(ascii: "_")
    else { throw ImageError.invalidName(name) }
  }

  static let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return encoder
  }()
  static let decoder: JSONDecoder = {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return decoder
  }()
}
