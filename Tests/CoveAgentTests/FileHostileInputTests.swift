import CoveAgentProto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

@Suite("Files service under hostile input, against the real agent binary", .timeLimit(.minutes(5)))
struct FileHostileInputTests {
  let agent: AgentHarness
  let root: String

  init() async throws {
    agent = try await AgentHarness()
    root = agent.directory + "/files"
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
  }

  @Test("a recursive remove of any spelling of / is refused")
  func removeRootSpellings() async throws {
    defer { agent.stop() }
    try await agent.withClient { client in
      for path in ["/", "//", "/.", "/..", "/./", "/proc/..", "\(root)/../../../../../../..", "/tmp/../"] {
        let error = await #expect(throws: RPCError.self, "\(path)") {
          _ = try await client.files.remove(
            .with {
              $0.path = path; $0.recursive = true
            })
        }
        #expect(error?.code == .invalidArgument, "\(path)")
        #expect(error?.message.contains("refusing to remove /") == true, "\(path)")
      }
      // A path that is not / after normalization is removed as it names.
      try FileManager.default.createDirectory(atPath: root + "/a/b", withIntermediateDirectories: true)
      _ = try await client.files.remove(
        .with {
          $0.path = root + "/a/b/../"; $0.recursive = true
        })
      #expect(!FileManager.default.fileExists(atPath: root + "/a"))
      #expect(FileManager.default.fileExists(atPath: root))
    }
  }

  @Test("reads of FIFOs are refused at once and the agent keeps answering")
  func fifo() async throws {
    defer { agent.stop() }
    let fifo = root + "/fifo"
    #expect(mkfifo(fifo, 0o644) == 0)
    try await agent.withClient { client in
      // More reads than the agent has threads: a blocking open() would take them all.
      try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<8 {
          group.addTask {
            let error = await #expect(throws: RPCError.self) {
              try await client.files.read(.with { $0.path = fifo }) { for try await _ in $0.messages {} }
            }
            #expect(error?.code == .failedPrecondition)
            #expect(error?.message.contains("not a regular file") == true)
          }
        }
        try await group.waitForAll()
      }
      let health = try await client.system.health(.init())
      #expect(!health.version.isEmpty)
      // Writing replaces the FIFO with a file: it never opens it.
      _ = try await client.files.write(requestProducer: { writer in
        try await writer.write(.with { $0.header = .with { $0.path = fifo } })
        try await writer.write(.with { $0.data = Data("now a file".utf8) })
        try await writer.write(.with { $0.finish = true })
      })
      #expect(try String(contentsOfFile: fifo, encoding: .utf8) == "now a file")
    }
  }

  @Test("a file whose name is not UTF-8 is listed, and removed by the name List gave")
  func nonUTF8Name() async throws {
    defer { agent.stop() }
    // "bad\xFF.txt" and a name with a character of the escape range.
    let names: [[UInt8]] = [Array("bad".utf8) + [0xFF] + Array(".txt".utf8), Array("pua-\u{F7A9}".utf8)]
    for name in names {
      let fd = (Array(root.utf8) + [UInt8(ascii: "/")] + name + [0]).withUnsafeBufferPointer {
        $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY | O_CLOEXEC, 0o644) }
      }
      #expect(fd >= 0)
      close(fd)
    }
    try await agent.withClient { client in
      let entries = try await client.files.list(.with { $0.path = root }).entries
      #expect(entries.count == 2)
      for entry in entries {
        #expect(entry.path == root + "/" + entry.name)
        let info = try await client.files.stat(.with { $0.path = entry.path }).info
        #expect(info.type == .regular)
        _ = try await client.files.remove(.with { $0.path = entry.path })
      }
      #expect(try await client.files.list(.with { $0.path = root }).entries.isEmpty)
    }
  }

  @Test("a request message over 4 MiB gets RESOURCE_EXHAUSTED, streamed or unary")
  func oversizedRequest() async throws {
    defer { agent.stop() }
    try await agent.withClient { client in
      let streamed = await #expect(throws: RPCError.self) {
        _ = try await client.files.write(
          requestProducer: { writer in
            try await writer.write(.with { $0.header = .with { $0.path = root + "/big" } })
            try await writer.write(.with { $0.data = Data(count: 5 << 20) })
            try await writer.write(.with { $0.finish = true })
          })
      }
      #expect(streamed?.code == .resourceExhausted, "\(String(describing: streamed))")
      let unary = await #expect(throws: RPCError.self) {
        _ = try await client.files.stat(.with { $0.path = "/" + String(repeating: "x", count: 5 << 20) })
      }
      #expect(unary?.code == .resourceExhausted, "\(String(describing: unary))")
      let health = try await client.system.health(.init())
      #expect(!health.version.isEmpty)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: root).isEmpty)
  }

  @Test("a List answer that would pass the message limit is refused with a clear error")
  func listBound() async throws {
    defer { agent.stop() }
    // Entries of about 3.5 KB (a long directory path, long names): 1,400 pass 4 MiB.
    let deep = root + String(repeating: "/" + String(repeating: "d", count: 250), count: 12)
    try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)
    for i in 0..<1400 {
      let name = String(format: "%04d", i) + String(repeating: "n", count: 240)
      _ = FileManager.default.createFile(atPath: deep + "/" + name, contents: nil)
    }
    try await agent.withClient { client in
      let error = await #expect(throws: RPCError.self) {
        _ = try await client.files.list(.with { $0.path = deep })
      }
      #expect(error?.code == .resourceExhausted)
      #expect(error?.message.contains("list less deep") == true, "\(String(describing: error))")
      // A smaller directory still lists.
      let small = try await client.files.list(
        .with {
          $0.path = root; $0.depth = 3
        })
      #expect(small.entries.count == 3)
    }
  }
}
