/// What a pull or an import reports as it goes, for a progress display.
public enum PullEvent: Sendable, Equatable {
  /// The manifest is known: the image's digest and its layers.
  case resolved(manifest: Digest, platform: String, layers: [Descriptor])
  /// A blob was already in the cache; nothing is fetched.
  case cached(Digest, size: Int64)
  /// Bytes received so far of a blob being fetched.
  case fetching(Digest, received: Int64, total: Int64)
  /// A blob was fetched and verified.
  case fetched(Digest, size: Int64)
  /// Layer `index` (from 0) of `count` is being unpacked.
  case unpacking(index: Int, count: Int, Digest)
  /// The root filesystem image is being written.
  case building
}

public typealias PullProgress = @Sendable (PullEvent) -> Void
