import CoveAgentProto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Testing

@Suite("Files service, against the real agent binary", .timeLimit(.minutes(5)))
struct FileServiceTests {
  let agent: AgentHarness
  let root: String

  init() async throws {
    agent = try await AgentHarness()
    root = agent.directory + "/files"
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
  }

  @Test("a written file reads back the same, in chunks")
  func writeAndRead() async throws {
    defer { agent.stop() }
    let bytes = Data((0..<(3 << 20)).map { _ in UInt8.random(in: 0...255) })
    let path = root + "/deep/er/file.bin"
    try await agent.withClient { client in
      let written = try await client.files.write(
        requestProducer: { writer in
          try await writer.write(
            .with {
              $0.header = .with {
                $0.path = path; $0.mode = 0o600; $0.createParents = true
              }
            })
          var offset = 0
          while offset < bytes.count {
            let end = min(offset + 1_000_000, bytes.count)
            try await writer.write(.with { $0.data = bytes[offset..<end] })
            offset = end
          }
          try await writer.write(.with { $0.finish = true })
        })
      #expect(written.bytesWritten == UInt64(bytes.count))
      let (read, chunks) = try await client.files.read(.with { $0.path = path }) { response in
        var data = Data()
        var chunks = 0
        for try await part in response.messages {
          data.append(part.data)
          chunks += 1
        }
        return (data, chunks)
      }
      #expect(read == bytes)
      #expect(chunks > 1)
      let partial = try await client.files.read(
        .with {
          $0.path = path; $0.offset = 10; $0.length = 5
        }
      ) { response in
        var data = Data()
        for try await part in response.messages { data.append(part.data) }
        return data
      }
      #expect(partial == bytes[10..<15])
      let info = try await client.files.stat(.with { $0.path = path }).info
      #expect(info.type == .regular)
      #expect(info.size == UInt64(bytes.count))
      #expect(info.mode == 0o600)
    }
    // No temporary file stays beside it.
    #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/deep/er") == ["file.bin"])
  }

  @Test("a write interrupted half-way leaves the old file intact")
  func interruptedWrite() async throws {
    defer { agent.stop() }
    let path = root + "/keep.txt"
    try Data("old contents".utf8).write(to: URL(fileURLWithPath: path))
    try await agent.withClient { client in
      let task = Task {
        try await client.files.write(
          requestProducer: { writer in
            try await writer.write(.with { $0.header = .with { $0.path = path } })
            try await writer.write(.with { $0.data = Data(repeating: 0x41, count: 100_000) })
            try await Task.sleep(for: .seconds(30))
          })
      }
      // Cancel once the agent holds the half-written temporary file.
      #expect(
        await eventually(within: 240) { (try? FileManager.default.contentsOfDirectory(atPath: root))?.count == 2 })
      task.cancel()
      _ = try? await task.value
      // The agent removes its temporary file when it sees the call end.
      #expect(
        await eventually(within: 240) { (try? FileManager.default.contentsOfDirectory(atPath: root)) == ["keep.txt"] })
    }
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "old contents")
  }

  @Test("errors carry the right status and a clear message")
  func errors() async throws {
    defer { agent.stop() }
    try await agent.withClient { client in
      func code(_ body: () async throws -> Void) async -> (RPCError.Code?, String) {
        do {
          try await body()
          return (nil, "")
        } catch let error as RPCError {
          return (error.code, error.message)
        } catch {
          return (nil, "\(error)")
        }
      }
      try FileManager.default.createDirectory(atPath: root + "/dir/sub", withIntermediateDirectories: true)
      var (c, m) = await code { _ = try await client.files.stat(.with { $0.path = root + "/missing" }) }
      #expect(c == .notFound)
      #expect(m.contains("missing"))
      (c, m) = await code {
        try await client.files.read(.with { $0.path = root + "/dir" }) { for try await _ in $0.messages {} }
      }
      #expect(c == .failedPrecondition)
      #expect(m.contains("is a directory"))
      (c, _) = await code { _ = try await client.files.makeDirectory(.with { $0.path = root + "/dir" }) }
      #expect(c == .alreadyExists)
      (c, m) = await code { _ = try await client.files.remove(.with { $0.path = root + "/dir" }) }
      #expect(c == .failedPrecondition)
      #expect(m.contains("not empty"))
      (c, _) = await code { _ = try await client.files.stat(.with { $0.path = "relative/path" }) }
      #expect(c == .invalidArgument)
      (c, _) = await code { _ = try await client.files.list(.with { $0.path = "/etc/hostname" }) }
      #expect(c == .failedPrecondition)
      (c, _) = await code { _ = try await client.files.makeDirectory(.with { $0.path = root + "/a/b/c" }) }
      #expect(c == .notFound)
      (c, _) = await code {
        _ = try await client.files.write(requestProducer: { try await $0.write(.with { $0.data = Data([1]) }) })
      }
      #expect(c == .invalidArgument)
      (c, _) = await code {
        _ = try await client.files.write(requestProducer: {
          try await $0.write(.with { $0.header = .with { $0.path = root + "/dir" } })
        })
      }
      #expect(c == .failedPrecondition)
      // A stream closed without finish is not a write.
      (c, m) = await code {
        _ = try await client.files.write(requestProducer: { writer in
          try await writer.write(.with { $0.header = .with { $0.path = root + "/unfinished" } })
          try await writer.write(.with { $0.data = Data("x".utf8) })
        })
      }
      #expect(c == .failedPrecondition)
      #expect(m.contains("finish"))
      #expect(!FileManager.default.fileExists(atPath: root + "/unfinished"))
    }
  }

  @Test("mkdir, list with depth, rename and recursive remove")
  func directoryOperations() async throws {
    defer { agent.stop() }
    try await agent.withClient { client in
      _ = try await client.files.makeDirectory(
        .with {
          $0.path = root + "/a/b/c"; $0.parents = true
        })
      _ = try await client.files.makeDirectory(
        .with {
          $0.path = root + "/a/b/c"; $0.parents = true
        })
      try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/a/b/c/f"))
      let shallow = try await client.files.list(
        .with {
          $0.path = root + "/a"; $0.depth = 1
        }
      ).entries
      #expect(shallow.map(\.name) == ["b"])
      let deep = try await client.files.list(
        .with {
          $0.path = root + "/a"; $0.depth = 3
        }
      ).entries
      #expect(deep.map(\.path) == [root + "/a/b", root + "/a/b/c", root + "/a/b/c/f"])
      _ = try await client.files.rename(
        .with {
          $0.from = root + "/a"; $0.to = root + "/z"
        })
      #expect(FileManager.default.fileExists(atPath: root + "/z/b/c/f"))
      _ = try await client.files.remove(
        .with {
          $0.path = root + "/z"; $0.recursive = true
        })
      #expect(!FileManager.default.fileExists(atPath: root + "/z"))
    }
  }

  @Test("watch streams inotify events of a directory")
  func watch() async throws {
    defer { agent.stop() }
    let events = try await agent.withClient { client in
      try await withThrowingTaskGroup(of: [Cove_Agent_V1_WatchEvent]?.self) { group in
        group.addTask {
          try await client.files.watch(.with { $0.path = root }) { response in
            var seen: [Cove_Agent_V1_WatchEvent] = []
            for try await event in response.messages {
              seen.append(event)
              if event.kind == .remove && seen.contains(where: { $0.kind == .create }) { break }
            }
            return seen
          }
        }
        // The watch may start after a first change under load: change the
        // directory until the watcher has seen a removal, for 20 s at most.
        group.addTask {
          for _ in 0..<100 {
            try await Task.sleep(for: .milliseconds(200))
            try Data("hi".utf8).write(to: URL(fileURLWithPath: root + "/watched"))
            try FileManager.default.removeItem(atPath: root + "/watched")
          }
          throw HarnessError("the watch saw no removal in 20 s")
        }
        var result: [Cove_Agent_V1_WatchEvent] = []
        for try await value in group {
          if let value {
            result = value
            group.cancelAll()
            break
          }
        }
        return result
      }
    }
    #expect(events.contains { $0.kind == .create && $0.path == root + "/watched" })
    #expect(events.contains { $0.kind == .remove && $0.path == root + "/watched" })
  }

  @Test("an oversized message is refused and the agent lives on")
  func oversizedMessage() async throws {
    defer { agent.stop() }
    try await agent.withClient { client in
      let error = await #expect(throws: RPCError.self) {
        _ = try await client.files.write(
          requestProducer: { writer in
            try await writer.write(.with { $0.header = .with { $0.path = root + "/big" } })
            try await writer.write(.with { $0.data = Data(count: 5 << 20) })
          })
      }
      // The agent refuses the message with a status; it lives on.
      #expect(error?.code == .resourceExhausted)
      let health = try await client.system.health(.init())
      #expect(health.version.isEmpty == false)
    }
    #expect(!FileManager.default.fileExists(atPath: root + "/big"))
  }
}

/// Moving 48 MiB each way takes its time on a loaded machine: this suite
/// bounds it generously, and asserts nothing about speed.
@Suite("Files service memory, against the real agent binary", .timeLimit(.minutes(5)))
struct FileMemoryTests {
  @Test("the memory a large transfer took is given back once it is over")
  func memoryGivenBack() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let root = agent.directory
    let path = root + "/large"
    let chunk = Data(repeating: 0x5a, count: 65536)
    let before = try Self.anonymousKiB(of: agent.process.processIdentifier)
    try await agent.withClient { client in
      _ = try await client.files.write(
        requestProducer: { writer in
          try await writer.write(.with { $0.header = .with { $0.path = path } })
          for _ in 0..<(48 * 16) { try await writer.write(.with { $0.data = chunk }) }
          try await writer.write(.with { $0.finish = true })
        })
      let read = try await client.files.read(.with { $0.path = path }) { response in
        var count = 0
        for try await part in response.messages { count += part.data.count }
        return count
      }
      #expect(read == 48 << 20)
    }
    // The agent releases free memory a second after the last transfer;
    // under load that second may be late, so the check waits for it.
    var after = 0
    let givenBack = try await eventually(within: 240) {
      after = try Self.anonymousKiB(of: agent.process.processIdentifier)
      return after < before + 3 * 1024
    }
    #expect(givenBack, "RssAnon \(before) kB before, \(after) kB after moving 48 MiB each way")
  }

  static func anonymousKiB(of pid: Int32) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("RssAnon:") }),
      let value = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap({ Int($0) })
    else { throw HarnessError("no RssAnon for \(pid)") }
    return value
  }
}
