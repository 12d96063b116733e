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
      let path = try GuestPath(request.path)
      let fd = try FileSystem.openRegularFile(path)
      defer { close(fd) }
      var offset = off_t(clamping: request.offset)
      var remaining = request.length == 0 ? UInt64.max : request.length
      var buffer = [UInt8](repeating: 0, count: limits.chunkBytes)
      while remaining > 0 {
        let want = Int(min(UInt64(buffer.count), remaining))
        let n = try retrying("read", path.text) {
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
            writer = try AtomicFileWriter(
              path: GuestPath(header.path), mode: mode_t(header.mode == 0 ? 0o644 : header.mode & 0o7777),
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
      let info = try FileSystem.lstatInfo(GuestPath(request.path))
      return .with { $0.info = info }
    }
  }

  public func list(
    request: Cove_Agent_V1_ListRequest, context: ServerContext
  ) async throws -> Cove_Agent_V1_ListResponse {
    try await mappingErrors {
      let depth = Int(min(max(request.depth, 1), 64))
      let entries = try FileSystem.list(
        GuestPath(request.path), depth: depth, limit: limits.maxListEntries, byteBudget: limits.maxMessageBytes - 64)
      return .with { $0.entries = entries }
    }
  }

  public func makeDirectory(
    request: Cove_Agent_V1_MakeDirectoryRequest, context: ServerContext
  ) async throws -> Cove_Agent_V1_MakeDirectoryResponse {
    try await mappingErrors {
      let path = try GuestPath(request.path)
      let mode = mode_t(request.mode == 0 ? 0o755 : request.mode & 0o7777)
      try FileSystem.makeDirectory(path, parents: request.parents, mode: mode)
      return .init()
    }
  }

  public func remove(
    request: Cove_Agent_V1_RemoveRequest, context: ServerContext
  ) async throws -> Cove_Agent_V1_RemoveResponse {
    try await mappingErrors {
      try FileSystem.remove(GuestPath(request.path), recursive: request.recursive)
      return .init()
    }
  }

  public func rename(
    request: Cove_Agent_V1_RenameRequest, context: ServerContext
  ) async throws -> Cove_Agent_V1_RenameResponse {
    try await mappingErrors {
      let from = try GuestPath(request.from)
      let to = try GuestPath(request.to)
      guard !from.isRoot, !to.isRoot else { throw AgentError(.invalidArgument, "refusing to rename / or over /") }
      try retrying("rename", "\(from) to \(to)") { from.withCString { f in to.withCString { Glibc.rename(f, $0) } } }
      return .init()
    }
  }

  public func watch(
    request: Cove_Agent_V1_WatchRequest,
    response: RPCWriter<Cove_Agent_V1_WatchEvent>,
    context: ServerContext
  ) async throws {
    try await mappingErrors {
      let path = try GuestPath(request.path)
      var fd: Int32 = -1
      try check("watch", path.text, path.withCString { cove_watch_directory($0, &fd) })
      let channel: NIOAsyncChannel<ByteBuffer, Never>
      do {
        channel = try await NIOPipeBootstrap(group: group).takingOwnershipOfDescriptor(input: fd) { channel in
          channel.eventLoop.makeCompletedFuture {
            try NIOAsyncChannel<ByteBuffer, Never>(wrappingChannelSynchronously: channel)
          }
        }
      } catch {
        close(fd)
        throw AgentError(.internalError, "watch \(path): \(error)")
      }
      // Reading inotify does not notice a cancelled call: close it then,
      // which gives the inotify descriptor back.
      let watched = channel.channel
      try await untilCallEnds(
        {
          try await channel.executeThenClose { inbound in
            for try await buffer in inbound {
              for event in InotifyEvent.parse(Array(buffer.readableBytesView), directory: path) {
                try await response.write(event)
              }
            }
          }
        },
        onCancel: { watched.close(promise: nil) })
    }
  }
}
