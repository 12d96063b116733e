import CoveOCI
import Foundation

/// Writes an OCI image layout the tests make by hand: layers packed by GNU
/// tar from directories (with owners, modes, links and extended
/// attributes), compressed by gzip or zstd, manifests, configurations and
/// an index, each blob under its digest.
struct OCILayoutBuilder {
  enum Compression { case none, gzip, zstd }

  let root: String

  init(root: String) throws {
    self.root = root
    try FileManager.default.createDirectory(atPath: root + "/blobs/sha256", withIntermediateDirectories: true)
    try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: root + "/oci-layout"))
  }

  @discardableResult
  func add(_ data: Data, mediaType: String, platform: Platform? = nil) throws -> Descriptor {
    let digest = Digest(hashing: data)
    try data.write(to: URL(fileURLWithPath: root + "/blobs/sha256/" + digest.hex))
    return Descriptor(mediaType: mediaType, digest: digest, size: Int64(data.count), platform: platform)
  }

  /// A layer of `directory`'s contents, as a container build would make it.
  func layer(from directory: String, _ compression: Compression) async throws -> Descriptor {
    let tar = root + "/layer-\(UUID().uuidString.prefix(6)).tar"
    try await sh(
      "tar --format=posix --numeric-owner --xattrs --xattrs-include='*' --sort=name -cf \"$1\" -C \"$2\" .",
      tar, directory)
    let compressed: String
    let mediaType: String
    switch compression {
    case .none:
      compressed = tar
      mediaType = MediaType.ociLayer
    case .gzip:
      try await sh("gzip -n \"$1\"", tar)
      compressed = tar + ".gz"
      mediaType = MediaType.ociLayerGzip
    case .zstd:
      try await sh("zstd -q --rm \"$1\"", tar)
      compressed = tar + ".zst"
      mediaType = MediaType.ociLayerZstd
    }
    let data = try Data(contentsOf: URL(fileURLWithPath: compressed))
    try FileManager.default.removeItem(atPath: compressed)
    return try add(data, mediaType: mediaType)
  }

  /// A configuration and a manifest; returns the manifest's descriptor.
  func image(layers: [Descriptor], config: [String: Any], architecture: String = "amd64") throws -> Descriptor {
    let document: [String: Any] = [
      "architecture": architecture, "os": "linux", "config": config,
      "rootfs": ["type": "layers", "diff_ids": layers.map { $0.digest.description }],
    ]
    let configDescriptor = try add(
      try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]), mediaType: MediaType.ociConfig)
    let manifest = ImageManifest(
      schemaVersion: 2, mediaType: MediaType.ociManifest, config: configDescriptor, layers: layers)
    return try add(
      try JSONEncoder().encode(manifest), mediaType: MediaType.ociManifest,
      platform: Platform(architecture: architecture, os: "linux"))
  }

  /// An index of several manifests (a multi-platform image) as a blob.
  func index(_ manifests: [Descriptor]) throws -> Descriptor {
    let index = ImageIndex(schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: manifests)
    return try add(try JSONEncoder().encode(index), mediaType: MediaType.ociIndex)
  }

  /// Writes index.json naming each descriptor by tag.
  func tag(_ tagged: [String: Descriptor]) throws {
    var entries: [Descriptor] = []
    for (tag, descriptor) in tagged.sorted(by: { $0.key < $1.key }) {
      var entry = descriptor
      entry.annotations = ["org.opencontainers.image.ref.name": tag]
      entries.append(entry)
    }
    let index = ImageIndex(schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: entries)
    try JSONEncoder().encode(index).write(to: URL(fileURLWithPath: root + "/index.json"))
  }

  /// Pushes the image tagged `tag` to a registry with skopeo (all
  /// platforms of an index).
  func push(tag: String, to destination: String, credentials: String? = nil) async throws {
    var script = "skopeo copy --quiet --all --dest-tls-verify=false"
    if credentials != nil { script += " --dest-creds \"$3\"" }
    script += " \"oci:$1:$2\" \"docker://$4\""
    try await sh(script, root, tag, credentials ?? "", destination)
  }
}
