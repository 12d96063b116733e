import Foundation
import Logging

#if canImport(Glibc)
  import Glibc
#endif

/// Unpacks an image's layers from the blob cache into a directory: each
/// layer decompressed by `gzip` or `zstd` (chosen by the blob's first
/// bytes, not its media type, which `docker save` archives do not give)
/// into a pipe that ``TarReader`` reads and ``LayerApplier`` applies.
/// Decompression and writing overlap on two processes.
public struct ImageUnpacker: Sendable {
  public let cache: BlobCache
  let logger: Logger

  public init(cache: BlobCache, logger: Logger = Logger(label: "cove.oci")) {
    self.cache = cache
    self.logger = logger
  }

  /// What unpacking could not make as the layers say (see
  /// ``LayerApplier/Deferred``), for the image build to finish.
  public struct Result: Sendable {
    public var deferred: [LayerApplier.Deferred]
    public var skippedXattrs: [String]
  }

  /// Unpacks `layers` in order into `root`, an existing empty directory.
  /// Runs on a thread of its own: it is blocking file work, minutes long
  /// for big images, and must not hold one of Swift's few pool threads.
  public func unpack(_ layers: [Descriptor], into root: String, progress: @escaping PullProgress = { _ in })
    async throws(OCIError) -> Result
  {
    let cache = self.cache
    let cancelled = CancelFlag()
    let outcome: Swift.Result<Result, OCIError> = await withTaskCancellationHandler {
      await withCheckedContinuation { continuation in
        let thread = Thread {
          do {
            let applier = try LayerApplier(root: root)
            applier.isCancelled = { cancelled.isSet }
            for (index, layer) in layers.enumerated() {
              progress(.unpacking(index: index, count: layers.count, layer.digest))
              try Self.apply(cache.path(for: layer.digest), layer.digest, applier)
            }
            applier.finish()
            continuation.resume(
              returning: .success(Result(deferred: applier.deferred, skippedXattrs: applier.skippedXattrs)))
          } catch let error as OCIError {
            continuation.resume(returning: .failure(error))
          } catch {
            continuation.resume(returning: .failure(OCIError(.unpack, "unpacking", underlying: error)))
          }
        }
        thread.name = "cove-unpack"
        thread.start()
      }
    } onCancel: {
      cancelled.set()
    }
    return try outcome.get()
  }

  /// A flag the unpack thread reads and a cancelled task sets.
  final class CancelFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
  }

  enum Compression: Equatable { case none, gzip, zstd }

  static func compression(of path: String) throws(OCIError) -> Compression {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw OCIError(.io, "cannot open layer \(path)")
    }
    defer { try? handle.close() }
    let magic = [UInt8]((try? handle.read(upToCount: 4)) ?? Data())
    if magic.starts(with: [0x1f, 0x8b]) { return .gzip }
    if magic.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
    return .none
  }

  static func apply(_ path: String, _ digest: Digest, _ applier: LayerApplier) throws(OCIError) {
    let compression = try compression(of: path)
    guard compression != .none else {
      let fd = open(path, O_RDONLY | O_CLOEXEC)
      guard fd >= 0 else { throw OCIError(.io, "cannot open layer \(digest): \(errnoText(errno))") }
      defer { close(fd) }
      do { try applier.apply(TarReader(fd: fd)) } catch { throw layerError(digest, error) }
      return
    }
    let program = compression == .gzip ? "gzip" : "zstd"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: locate(program))
    process.arguments = compression == .gzip ? ["-dc"] : ["-dcq"]
    guard let input = FileHandle(forReadingAtPath: path) else { throw OCIError(.io, "cannot open layer \(digest)") }
    defer { try? input.close() }
    let output = Pipe()
    let errors = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    do { try process.run() } catch {
      throw OCIError(.io, "cannot start \(program) for layer \(digest) (apt-get install \(program))", underlying: error)
    }
    try? output.fileHandleForWriting.close()
    try? errors.fileHandleForWriting.close()
    var applyError: OCIError?
    do { try applier.apply(TarReader(fd: output.fileHandleForReading.fileDescriptor)) } catch { applyError = error }
    if applyError != nil && process.isRunning { process.terminate() }
    // Drain what is left so the decompressor can exit (a tar ends before
    // the stream's padding does).
    while let rest = try? output.fileHandleForReading.read(upToCount: 1 << 16), !rest.isEmpty {}
    let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    if let applyError { throw layerError(digest, applyError) }
    guard process.terminationStatus == 0 else {
      throw OCIError(
        .invalidContent,
        "layer \(digest) does not decompress (\(program) exited \(process.terminationStatus)): "
          + message.trimmingCharacters(in: .whitespacesAndNewlines))
    }
  }

  static func layerError(_ digest: Digest, _ error: OCIError) -> OCIError {
    var error = error
    error.message = "layer \(digest.short): " + error.message
    return error
  }

  static func locate(_ program: String) -> String {
    for directory in ["/usr/bin", "/bin", "/usr/local/bin"]
    where FileManager.default.isExecutableFile(atPath: "\(directory)/\(program)") {
      return "\(directory)/\(program)"
    }
    return "/usr/bin/\(program)"
  }
}
