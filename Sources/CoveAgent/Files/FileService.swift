import CCoveSystem
import CoveAgentProto
import GRPCCore
import NIOCore
import NIOPosix

// Data only: FoundationEssentials keeps ICU and CoreFoundation out of the agent.
#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The Files service: streamed read and atomic write, stat, list, mkdir,
/// remove, rename and directory watches.
public struct FileService: Cove_Agent_V1_Files.SimpleServiceProtocol {
  let limits: AgentLimits
  let group: any EventLoopGroup
  let freeMemory: FreeMemory

  public init(limits: AgentLimits, group: any EventLoopGroup) {
    self.limits = limits
    self.group = group
    self.freeMemory = FreeMemory(loop: group.next())
  }

  public func read(
    request: Cove_Agent_V1_ReadFileRequest,
    response: RPCWriter<Cove_Agent_V1_ReadFileResponse>,
    context: ServerContext
  ) async throws {
    defer { freeMemory.releaseSoon() }
    try await mappingErrors {
      let path = request.path
      try FileSystem.validate(path)
      let fd = try retrying("read", path) { open(path, O_RDONLY | O_CLOEXEC) }
      defer { close(fd) }
      var st = Glibc.stat()
      try retrying("read", path) { fstat(fd, &st) }
      if (st.st_mode & S_IFMT) == S_IFDIR { throw AgentError.system("read", path, errno: EISDIR) }
      var offset = off_t(clamping: request.offset)
      var remaining = request.length == 0 ? UInt64.max : request.length
      var buffer = [UInt8](repeating: 0, count: limits.chunkBytes)
      while remaining > 0 {
        let want = Int(min(UInt64(buffer.count), remaining))
        let n = try retrying("read", path) {
          buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, offset) }
        }
        if n == 0 { break }
        try await response.write(.with { $0.data = Data(buffer[0..<n]) })
        offset += off_t(n)
        remaining -= UInt64(n)
      }
    }
  }

  public func write(
    request: RPCAsyncSequence<Cove_Agent_V1_WriteFileRequest, any Error>,
    context: ServerContext
  ) async throws -> Cove_Agent_V1_WriteFileResponse {
    defer { freeMemory.releaseSoon() }
    return try await mappingErrors {
      var writer: AtomicFileWriter? = nil
      var finished = false
      do {
        for try await part in request {
          if finished { throw AgentError(.invalidArgument, "finish must be the last message") }
          switch part.part {
          case .header(let header):
            guard writer == nil else { throw AgentError(.invalidArgument, "the header must come once, first") }
            try FileSystem.validate(header.path)
            writer = try AtomicFileWriter(
              path: header.path, mode: mode_t(header.mode == 0 ? 0o644 : header.mode & 0o7777),
              createParents: header.createParents)
          case .data(let data):
            guard writer != nil else { throw AgentError(.invalidArgument, "the header must come first") }
            try writer!.append(data)
          case .finish:
            guard writer != nil else { throw AgentError(.invalidArgument, "the header must come first") }
            finished = true
          case nil:
            throw AgentError(.invalidArgument, "a write message needs a header, data or finish")
          }
        }
        // A cancelled call can end the request stream like a completed one:
        // only the explicit finish message may replace the file.
        guard finished, !Task.isCancelled, !context.cancellation.isCancelled else {
          throw AgentError(.failedPrecondition, "the write ended without finish; the file is unchanged")
        }
        guard var complete = writer else { throw AgentError(.invalidArgument, "no header was sent") }
        writer = nil
        let count = try complete.commit()
        return .with { $0.bytesWritten = count }
      } catch {
        writer?.abandon()
        throw error
      }
    }
  }

  public func stat(
    request: Cove_Agent_V1_StatRequest, context: ServerContext
  ) async throws -> Cove_Agent_V1_StatResponse {
    try await mappingErrors {
      try FileSystem.validate(request.path)
      let info = try FileSystem.lstatInfo(request.path)
      return .with { $0.info = info }
    }
  }

  public func list(
    request: Cove_Agent_V1_ListRequest, context: ServerContext
  ) async throws -> Cove_Agent_V1_ListResponse {
    try await mappingErrors {
      try FileSystem.validate(request.path)
      let depth = Int(min(max(request.depth, 1), 64))
      let entries = try FileSystem.list(request.path, depth: depth, limit: limits.maxListEntries)
      return .with { $0.entries = entries }
    }
  }

  public func makeDirectory(
    request: Cove_Agent_V1_MakeDirectoryRequest, context: ServerContext
  ) async throws -> Cove_Agent_V1_MakeDirectoryResponse {
    try await mappingErrors {
      try FileSystem.validate(request.path)
      let mode = mode_t(request.mode == 0 ? 0o755 : request.mode & 0o7777)
      try FileSystem.makeDirectory(request.path, parents: request.parents, mode: mode)
      return .init()
    }
  }

  public func remove(
    request: Cove_Agent_V1_RemoveRequest, context: ServerContext
  ) async throws -> Cove_Agent_V1_RemoveResponse {
    try await mappingErrors {
      try FileSystem.validate(request.path)
      try FileSystem.remove(request.path, recursive: request.recursive)
      return .init()
    }
  }

  public func rename(
    request: Cove_Agent_V1_RenameRequest, context: ServerContext
  ) async throws -> Cove_Agent_V1_RenameResponse {
    try await mappingErrors {
      try FileSystem.validate(request.from)
      try FileSystem.validate(request.to)
      try retrying("rename", "\(request.from) to \(request.to)") { Glibc.rename(request.from, request.to) }
      return .init()
    }
  }

  public func watch(
    request: Cove_Agent_V1_WatchRequest,
    response: RPCWriter<Cove_Agent_V1_WatchEvent>,
    context: ServerContext
  ) async throws {
    try await mappingErrors {
      try FileSystem.validate(request.path)
      var fd: Int32 = -1
      try check("watch", request.path, cove_watch_directory(request.path, &fd))
      let channel: NIOAsyncChannel<ByteBuffer, Never>
      do {
        channel = try await NIOPipeBootstrap(group: group).takingOwnershipOfDescriptor(input: fd) { channel in
          channel.eventLoop.makeCompletedFuture {
            try NIOAsyncChannel<ByteBuffer, Never>(wrappingChannelSynchronously: channel)
          }
        }
      } catch {
        close(fd)
        throw AgentError(.internalError, "watch \(request.path): \(error)")
      }
      // Reading inotify does not notice a cancelled call: close it then.
      let watched = channel.channel
      try await withTaskCancellationHandler {
        try await channel.executeThenClose { inbound in
          for try await buffer in inbound {
            for event in InotifyEvent.parse(Array(buffer.readableBytesView), directory: request.path) {
              try await response.write(event)
            }
          }
        }
      } onCancel: {
        watched.close(promise: nil)
      }
    }
  }
}
