import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Imports an image from a file: a `docker save` archive (its
/// `manifest.json` naming a config and layer tars) or an OCI image layout
/// (`index.json` and `blobs/sha256/…`), as a directory or a tar of one.
/// Every blob goes into the cache under the digest of its bytes; a blob an
/// OCI layout names by digest must hash to that digest.
public struct ImageArchive: Sendable {
  public let cache: BlobCache
  public var platform = Platform.linuxAMD64

  public init(cache: BlobCache) {
    self.cache = cache
  }

  /// Members read into memory rather than the cache: the small JSON files.
  static func isDocument(_ path: String) -> Bool {
    path.hasSuffix(".json") || path == "oci-layout" || path == "repositories"
  }

  /// Loads `path`; `select` picks an image by tag (`name:tag` or `tag`)
  /// when the archive holds more than one.
  public func load(_ path: String, select: String? = nil, progress: @escaping PullProgress = { _ in })
    async throws(OCIError) -> FetchedImage
  {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw OCIError(.notFound, "no file or directory at \(path)")
    }
    let cache = self.cache
    let contents: Contents
    if isDirectory.boolValue {
      contents = Contents(directory: path, cache: cache)
    } else {
      // Reading and hashing a multi-gigabyte tar is blocking work.
      let result: Result<Contents, OCIError> = await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: Result { () throws(OCIError) in try Self.read(tar: path, cache) }) }
          .start()
      }
      contents = try result.get()
    }
    return try resolve(contents, select: select, source: path, progress: progress)
  }

  /// What an archive holds: its documents, and where each other member's
  /// bytes are (a digest in the cache, or a file of a directory).
  struct Contents {
    var documents: [String: Data] = [:]
    var blobs: [String: Digest] = [:]
    var directory: String?
    var cache: BlobCache?

    init() {}

    init(directory: String, cache: BlobCache) {
      self.directory = directory
      self.cache = cache
    }

    func document(_ path: String) throws(OCIError) -> Data {
      if let data = documents[path] { return data }
      if let directory, let data = FileManager.default.contents(atPath: directory + "/" + path) { return data }
      throw OCIError(.invalidContent, "the archive has no \(path)")
    }

    func has(_ path: String) -> Bool {
      documents[path] != nil || directory.map { FileManager.default.fileExists(atPath: $0 + "/" + path) } ?? false
    }

    /// The digest of member `path`, putting it in the cache if it is not.
    func blob(_ path: String) throws(OCIError) -> Digest {
      if let digest = blobs[path] { return digest }
      if let data = documents[path], let cache { return try cache.store(data) }
      guard let directory, let cache else { throw OCIError(.invalidContent, "the archive has no \(path)") }
      return try ImageArchive.copy(file: directory + "/" + path, into: cache)
    }
  }

  static func read(tar path: String, _ cache: BlobCache) throws(OCIError) -> Contents {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw OCIError(.io, "cannot open \(path): \(errnoText(errno))") }
    defer { close(fd) }
    let reader = TarReader(fd: fd)
    var contents = Contents()
    contents.cache = cache
    while let entry = try reader.next() {
      let name = LayerApplier.clean(entry.path).joined(separator: "/")
      switch entry.kind {
      case .file where isDocument(name) && entry.size <= 16 << 20:
        var data = Data()
        try reader.readData { data.append(contentsOf: $0) }
        contents.documents[name] = data
      case .file:
        let writer = try cache.writerForUnknownDigest()
        do {
          try reader.readData { chunk throws(OCIError) in try writer.write(chunk) }
          contents.blobs[name] = try writer.commitComputed()
        } catch {
          writer.discard()
          throw error
        }
      case .hardLink, .symlink:
        // docker save links layers shared by two images; follow within the archive.
        let target = LayerApplier.clean(
          entry.kind == .symlink
            ? (name.split(separator: "/").dropLast().joined(separator: "/") + "/" + entry.linkName)
            : entry.linkName
        ).joined(separator: "/")
        if let digest = contents.blobs[target] { contents.blobs[name] = digest }
        if let data = contents.documents[target] { contents.documents[name] = data }
      default: continue
      }
    }
    return contents
  }

  static func copy(file path: String, into cache: BlobCache) throws(OCIError) -> Digest {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw OCIError(.invalidContent, "the archive has no \(path)")
    }
    defer { try? handle.close() }
    let writer = try cache.writerForUnknownDigest()
    do {
      while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { try writer.write(chunk) }
      return try writer.commitComputed()
    } catch let error as OCIError {
      writer.discard()
      throw error
    } catch {
      writer.discard()
      throw OCIError(.io, "reading \(path)", underlying: error)
    }
  }

  // MARK: - Finding the image

  func resolve(_ contents: Contents, select: String?, source: String, progress: PullProgress)
    throws(OCIError) -> FetchedImage
  {
    if contents.has("index.json") {
      return try resolveLayout(contents, select: select, source: source, progress: progress)
    }
    if contents.has("manifest.json") {
      return try resolveDockerSave(contents, select: select, source: source, progress: progress)
    }
    throw OCIError(
      .invalidContent, "\(source) is neither a docker save archive (manifest.json) nor an OCI layout (index.json)")
  }

  /// A blob of an OCI layout, checked against the digest that names it.
  func layoutBlob(_ contents: Contents, _ digest: Digest) throws(OCIError) -> Digest {
    let found = try contents.blob("blobs/sha256/\(digest.hex)")
    guard found == digest else {
      throw OCIError(.digestMismatch, "blob \(digest) of the layout has digest \(found): the archive is damaged")
    }
    return found
  }

  func resolveLayout(_ contents: Contents, select: String?, source: String, progress: PullProgress)
    throws(OCIError) -> FetchedImage
  {
    let index: ImageIndex = try decode(try contents.document("index.json"), "index.json of \(source)")
    var candidates = index.manifests
    if let select {
      let tag = select.split(separator: ":").last.map(String.init) ?? select
      candidates = candidates.filter {
        let name = $0.annotations?["org.opencontainers.image.ref.name"]
        return name == select || name == tag || $0.annotations?["io.containerd.image.name"] == select
      }
      guard !candidates.isEmpty else { throw OCIError(.notFound, "\(source) has no image tagged \(select)") }
    }
    guard var descriptor = candidates.first else { throw OCIError(.invalidContent, "\(source) lists no image") }
    // An index inside the layout (a multi-platform image): pick ours.
    while MediaType.indexes.contains(descriptor.mediaType) {
      let digest = try layoutBlob(contents, descriptor.digest)
      let nested: ImageIndex = try decode(try cache.data(digest), "index \(digest)")
      guard let chosen = nested.manifest(for: platform) else {
        throw OCIError(.unsupported, "\(source) has no \(platform) image")
      }
      descriptor = chosen
    }
    let manifestDigest = try layoutBlob(contents, descriptor.digest)
    let manifest: ImageManifest = try decode(try cache.data(manifestDigest), "manifest \(manifestDigest)")
    _ = try layoutBlob(contents, manifest.config.digest)
    for layer in manifest.layers {
      _ = try layoutBlob(contents, layer.digest)
      progress(.cached(layer.digest, size: layer.size))
    }
    let configuration: ImageConfiguration = try decode(try cache.data(manifest.config.digest), "configuration")
    return FetchedImage(
      manifestDigest: manifestDigest, manifest: manifest, configuration: configuration, source: source)
  }

  func resolveDockerSave(_ contents: Contents, select: String?, source: String, progress: PullProgress)
    throws(OCIError) -> FetchedImage
  {
    struct Entry: Decodable {
      var Config: String
      var RepoTags: [String]?
      var Layers: [String]
    }
    let entries: [Entry] = try decode(try contents.document("manifest.json"), "manifest.json of \(source)")
    let entry: Entry?
    if let select {
      entry = entries.first { ($0.RepoTags ?? []).contains { $0 == select || $0.hasSuffix("/" + select) } }
    } else {
      entry = entries.first
    }
    guard let entry else {
      throw OCIError(.notFound, "\(source) has no image" + (select.map { " tagged \($0)" } ?? ""))
    }
    let configDigest = try contents.blob(entry.Config)
    let configData = try cache.data(configDigest)
    var layers: [Descriptor] = []
    for path in entry.Layers {
      let digest = try contents.blob(path)
      let size = cache.size(of: digest) ?? 0
      layers.append(Descriptor(mediaType: MediaType.ociLayer, digest: digest, size: size))
      progress(.cached(digest, size: size))
    }
    // docker save has no registry manifest; Cove writes the OCI one that
    // describes the same config and layers, so the image has a digest.
    let manifest = ImageManifest(
      schemaVersion: 2, mediaType: MediaType.ociManifest,
      config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: Int64(configData.count)),
      layers: layers)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let manifestData: Data
    do { manifestData = try encoder.encode(manifest) } catch {
      throw OCIError(.invalidContent, "encoding a manifest", underlying: error)
    }
    let manifestDigest = try cache.store(manifestData)
    let configuration: ImageConfiguration = try decode(configData, "configuration \(configDigest)")
    let name = entry.RepoTags?.first.map { "\(source) (\($0))" } ?? source
    return FetchedImage(manifestDigest: manifestDigest, manifest: manifest, configuration: configuration, source: name)
  }
}
