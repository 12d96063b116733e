import Foundation
import Logging

/// What a pull or an import leaves in the blob cache: the manifest, the
/// configuration and the layers, each verified, plus the decoded
/// configuration.
public struct FetchedImage: Sendable {
  public var manifestDigest: Digest
  public var manifest: ImageManifest
  public var configuration: ImageConfiguration
  /// Where it came from, for people (`docker.io/library/alpine:3.20`).
  public var source: String
}

/// Pulls an image into the blob cache: resolves the reference to the
/// manifest for linux/amd64 (through an index or manifest list when there
/// is one), then fetches the configuration and every layer not already in
/// the cache, a few at a time.
public struct ImagePuller: Sendable {
  public let cache: BlobCache
  public let client: RegistryClient
  public var platform = Platform.linuxAMD64
  /// Layers fetched at once: enough to fill a link, few enough that
  /// one slow layer does not starve the others.
  public var parallelFetches = 3
  let logger: Logger

  public init(cache: BlobCache, client: RegistryClient, logger: Logger = Logger(label: "cove.oci")) {
    self.cache = cache
    self.client = client
    self.logger = logger
  }

  public func pull(_ reference: ImageReference, progress: @escaping PullProgress = { _ in }) async throws(OCIError)
    -> FetchedImage
  {
    var (data, mediaType, digest) = try await client.manifest(reference)
    if MediaType.indexes.contains(mediaType) {
      let index: ImageIndex = try decode(data, "image index of \(reference)")
      guard let chosen = index.manifest(for: platform) else {
        let offered = index.manifests.compactMap { $0.platform?.description }.joined(separator: ", ")
        throw OCIError(.unsupported, "\(reference) has no \(platform) image (it has: \(offered))")
      }
      try cache.store(data, expected: digest)
      (data, mediaType, digest) = try await client.manifest(reference, reference: chosen.digest.description)
      guard digest == chosen.digest else {
        throw OCIError(.digestMismatch, "the registry sent manifest \(digest) for \(chosen.digest)")
      }
    }
    guard MediaType.manifests.contains(mediaType) else {
      throw OCIError(
        .unsupported,
        "\(reference) is a \(mediaType.isEmpty ? "manifest without a media type" : mediaType), not an image manifest Cove reads (OCI or Docker schema 2)"
      )
    }
    let manifest: ImageManifest = try decode(data, "manifest of \(reference)")
    try cache.store(data, expected: digest)
    for layer in manifest.layers where !MediaType.isLayer(layer.mediaType) {
      throw OCIError(.unsupported, "layer \(layer.digest) of \(reference) has media type \(layer.mediaType)")
    }
    progress(.resolved(manifest: digest, platform: platform.description, layers: manifest.layers))
    try await fetch([manifest.config], from: reference, progress: { _ in })
    let configuration: ImageConfiguration = try decode(
      try cache.data(manifest.config.digest), "configuration of \(reference)")
    if let os = configuration.os, let architecture = configuration.architecture,
      os != platform.os || architecture != platform.architecture
    {
      throw OCIError(.unsupported, "\(reference) is an image for \(os)/\(architecture), not \(platform)")
    }
    try await fetch(manifest.layers, from: reference, progress: progress)
    logger.info("pulled", metadata: ["image": "\(reference)", "manifest": "\(digest)"])
    return FetchedImage(
      manifestDigest: digest, manifest: manifest, configuration: configuration, source: reference.description)
  }

  /// Fetches the blobs not in the cache, `parallelFetches` at a time.
  func fetch(_ blobs: [Descriptor], from reference: ImageReference, progress: @escaping PullProgress)
    async throws(OCIError)
  {
    var pending: [Descriptor] = []
    var seen: Set<Digest> = []
    for blob in blobs where seen.insert(blob.digest).inserted {
      if cache.contains(blob.digest, size: blob.size) {
        progress(.cached(blob.digest, size: blob.size))
      } else {
        pending.append(blob)
      }
    }
    let cache = self.cache
    let client = self.client
    do {
      try await withThrowingTaskGroup(of: Void.self) { group in
        var next = 0
        func start() {
          let blob = pending[next]
          next += 1
          group.addTask {
            let writer = try cache.writer(for: blob.digest, size: blob.size)
            do {
              try await client.fetchBlob(reference, blob, into: writer) { received in
                progress(.fetching(blob.digest, received: received, total: blob.size))
              }
              try writer.commit()
            } catch {
              writer.discard()
              throw error
            }
            progress(.fetched(blob.digest, size: blob.size))
          }
        }
        while next < min(parallelFetches, pending.count) { start() }
        while try await group.next() != nil {
          if next < pending.count { start() }
        }
      }
    } catch let error as OCIError {
      throw error
    } catch {
      throw OCIError(.registry, "pulling \(reference)", underlying: error)
    }
  }
}

func decode<T: Decodable>(_ data: Data, _ what: String) throws(OCIError) -> T {
  do {
    return try JSONDecoder().decode(T.self, from: data)
  } catch {
    throw OCIError(.invalidContent, "cannot read the \(what)", underlying: error)
  }
}
