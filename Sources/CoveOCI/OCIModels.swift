import Foundation

/// The OCI image format's JSON documents, with Docker's schema 2 media types
/// read as their OCI equivalents (the fields are the same).
public enum MediaType {
  public static let ociIndex = "application/vnd.oci.image.index.v1+json"
  public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
  public static let ociConfig = "application/vnd.oci.image.config.v1+json"
  public static let dockerList = "application/vnd.docker.distribution.manifest.list.v2+json"
  public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
  public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
  public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
  public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
  public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
  public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"

  static let indexes: Set = [ociIndex, dockerList]
  static let manifests: Set = [ociManifest, dockerManifest]
  /// What a manifest request accepts, indexes first.
  static let accepted = [ociIndex, dockerList, ociManifest, dockerManifest]

  /// Layer types Cove unpacks: tar, gzip and zstd, OCI's and Docker's,
  /// including the "non-distributable" variants (the same bytes).
  static func isLayer(_ type: String) -> Bool {
    let known = [ociLayer, ociLayerGzip, ociLayerZstd, dockerLayerGzip]
    let plain = type.replacingOccurrences(of: ".nondistributable", with: "")
      .replacingOccurrences(of: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", with: dockerLayerGzip)
    return known.contains(plain)
  }
}

public struct Platform: Codable, Hashable, Sendable, CustomStringConvertible {
  public var architecture: String
  public var os: String
  public var variant: String?

  public init(architecture: String, os: String, variant: String? = nil) {
    self.architecture = architecture
    self.os = os
    self.variant = variant
  }

  /// What Cove's guests run.
  public static let linuxAMD64 = Platform(architecture: "amd64", os: "linux")

  public var description: String { "\(os)/\(architecture)" + (variant.map { "/\($0)" } ?? "") }
}

public struct Descriptor: Codable, Hashable, Sendable {
  public var mediaType: String
  public var digest: Digest
  public var size: Int64
  public var platform: Platform?
  public var annotations: [String: String]?

  public init(mediaType: String, digest: Digest, size: Int64, platform: Platform? = nil) {
    self.mediaType = mediaType
    self.digest = digest
    self.size = size
    self.platform = platform
  }
}

public struct ImageIndex: Codable, Sendable {
  public var schemaVersion: Int
  public var mediaType: String?
  public var manifests: [Descriptor]

  public init(schemaVersion: Int = 2, mediaType: String? = MediaType.ociIndex, manifests: [Descriptor]) {
    self.schemaVersion = schemaVersion
    self.mediaType = mediaType
    self.manifests = manifests
  }

  /// The manifest for `platform`; an entry without a platform is not taken
  /// (attestations and the like carry none).
  public func manifest(for platform: Platform) -> Descriptor? {
    manifests.first {
      $0.platform?.os == platform.os && $0.platform?.architecture == platform.architecture
        && (platform.variant == nil || $0.platform?.variant == platform.variant)
    }
  }
}

public struct ImageManifest: Codable, Sendable {
  public var schemaVersion: Int
  public var mediaType: String?
  public var config: Descriptor
  public var layers: [Descriptor]

  public init(
    schemaVersion: Int = 2, mediaType: String? = MediaType.ociManifest, config: Descriptor, layers: [Descriptor]
  ) {
    self.schemaVersion = schemaVersion
    self.mediaType = mediaType
    self.config = config
    self.layers = layers
  }
}

/// An image's configuration blob; Cove reads the platform and the run
/// defaults, and keeps the rest as bytes in the blob cache.
public struct ImageConfiguration: Codable, Sendable {
  public var architecture: String?
  public var os: String?
  public var config: RunDefaults?

  /// The fields a container (here: a sandbox) starts with.
  public struct RunDefaults: Codable, Sendable, Equatable {
    public var User: String?
    public var Env: [String]?
    public var Entrypoint: [String]?
    public var Cmd: [String]?
    public var WorkingDir: String?
    public var ExposedPorts: [String: Empty]?
    public var Labels: [String: String]?
    public var StopSignal: String?

    public init() {}
  }

  /// `{}`, the value of each ExposedPorts key.
  public struct Empty: Codable, Sendable, Equatable {
    public init() {}
  }
}
