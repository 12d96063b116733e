import CoveAgentProto
import Foundation
import GRPCCore
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Calls whose client goes away, and process groups whose leader is gone:
/// nothing the agent started may outlive them, and no slot stays taken.
@Suite("Abandoned calls and orphaned groups, against the real agent binary", .timeLimit(.minutes(5)))
struct AbandonedCallTests {
  @Test("cancelled calls of quiet processes end them and free their slots: 64 abandoned, the next starts")
  func cancelledCallsFreeSlots() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    try await agent.withClient { client in
      var calls: [Task<Outcome, any Error>] = []
      for i in 0..<64 {
        calls.append(Task { try await client.run(["sleep", "infinity"]) { $0.tag = "quiet\(i)" } })
      }
      #expect(try await eventually(within: 240) { try await client.processes.list(.init()).processes.count == 64 })
      for call in calls { call.cancel() }
      for call in calls { _ = try? await call.value }
      #expect(try await eventually(within: 240) { try await client.processes.list(.init()).processes.isEmpty })
      let next = try await client.run(["true"])
      #expect(next.code == 0)
    }
    #expect(try await eventually { try descendants(named: "sleep infinity", of: agent).isEmpty })
  }

  @Test("a reset stream ends its foreground process")
  func resetStream() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let raw = try RawHTTP2Connection(socketPath: agent.socketPath)
    defer { raw.close() }
    try raw.startCall(stream: 1, path: "/cove.agent.v1.Process/Start", message: try startRequest(tag: "reset-me"))
    try await agent.withClient { client in
      try await waitForTag("reset-me", client)
      try raw.reset(stream: 1)
      #expect(try await eventually(within: 240) { try await client.processes.list(.init()).processes.isEmpty })
    }
    #expect(try await eventually { try descendants(named: "sleep infinity", of: agent).isEmpty })
  }

  @Test("a client whose connection drops ends its foreground process, not its background one")
  func droppedConnection() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let raw = try RawHTTP2Connection(socketPath: agent.socketPath)
    try raw.startCall(stream: 1, path: "/cove.agent.v1.Process/Start", message: try startRequest(tag: "dropped"))
    try raw.startCall(
      stream: 3, path: "/cove.agent.v1.Process/Start", message: try startRequest(tag: "kept", background: true))
    try await agent.withClient { client in
      try await waitForTag("dropped", client)
      try await waitForTag("kept", client)
      raw.close()
      #expect(
        try await eventually(within: 240) {
          try await client.processes.list(.init()).processes.map(\.tag) == ["kept"]
        })
    }
  }

  @Test("a cancelled watch of a quiet directory gives its inotify descriptor back")
  func cancelledWatch() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let pid = agent.process.processIdentifier
    let before = inotifyDescriptors(of: pid)
    try await agent.withClient { client in
      let watch = Task {
        try await client.files.watch(.with { $0.path = agent.directory }) { response in
          for try await _ in response.messages {}
        }
      }
      #expect(await eventually(within: 240) { inotifyDescriptors(of: pid) == before + 1 })
      watch.cancel()
      _ = try? await watch.value
      #expect(await eventually(within: 240) { inotifyDescriptors(of: pid) == before })
    }
  }

  @Test("a cancelled call kills the group its leader left behind")
  func cancelAfterLeaderExited() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    try await agent.withClient { client in
      let (found, report) = AsyncStream.makeStream(of: (leader: Int32, writers: [Int32]).self)
      let call = Task {
        try await client.processes.start(.with { $0.argv = ["sh", "-c", Self.leaveWriters(3)] }) { response in
          try await collect(response.messages) { sofar in
            let writers = Self.pids(in: sofar.out)
            if writers.count == 3 { report.yield((Int32(sofar.pid), writers)) }
          }
        }
      }
      var reports = found.makeAsyncIterator()
      let (leader, writers) = try #require(await reports.next())
      #expect(await eventually(within: 240) { !isAlive(leader) }, "the leader exits at once")
      #expect(writers.allSatisfy { isAlive($0) }, "the writers run until the call ends")
      call.cancel()
      _ = try? await call.value
      #expect(await eventually(within: 240) { writers.allSatisfy { !isAlive($0) } })
      #expect(try await eventually(within: 240) { try await client.processes.list(.init()).processes.isEmpty })
    }
  }

  @Test("a timeout kills the group after its leader exited, writers and all")
  func timeoutAfterLeaderExited() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let outcome = try await agent.withClient { client in
      try await client.run(["sh", "-c", Self.leaveWriters(10)]) { $0.timeoutMs = 1000 }
    }
    #expect(outcome.exit?.timedOut == true)
    let pids = Self.pids(in: outcome.out)
    #expect(pids.count == 10)
    #expect(await eventually(within: 240) { pids.allSatisfy { !isAlive($0) } })
  }

  @Test("the exit is reported 300 ms after output stops, every time, with a descendant still running")
  func lingeringOutputIsDeterministic() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    try await agent.withClient { client in
      for _ in 0..<20 {
        var lingering: Int32 = 0
        let outcome = try await client.run(["sh", "-c", "sleep 30 & echo $!; echo bye"])
        lingering = Int32(outcome.out.split(separator: "\n").first.map(String.init) ?? "") ?? 0
        #expect(outcome.code == 0)
        #expect(outcome.out.hasSuffix("bye\n"))
        // The exit came while the sleep still held the output open: the
        // watchdog closed it, rather than the sleep's own end.
        #expect(lingering > 0 && isAlive(lingering))
        if lingering > 0 { kill(lingering, SIGKILL) }
      }
    }
  }

  /// A script whose leader starts `count` writers in its own group, each
  /// printing `pid=N` and then a line every 50 ms, and exits.
  static func leaveWriters(_ count: Int) -> String {
    "for i in $(seq \(count)); do sh -c 'echo pid=$$; while :; do echo x; sleep 0.05; done' & done; exit 0"
  }

  static func pids(in output: String) -> [Int32] {
    output.split(separator: "\n").compactMap { $0.hasPrefix("pid=") ? Int32($0.dropFirst(4)) : nil }
  }
}

/// A Start request for a process that waits for ever.
func startRequest(tag: String, background: Bool = false) throws -> [UInt8] {
  try Cove_Agent_V1_StartRequest.with {
    $0.argv = ["sleep", "infinity"]
    $0.tag = tag
    $0.background = background
  }.serializedBytes()
}

/// Alive and not a zombie waiting to be reaped.
func isAlive(_ pid: Int32) -> Bool {
  guard kill(pid, 0) == 0 else { return false }
  return processState(pid) != "Z"
}

func descendants(named commandLine: String, of agent: AgentHarness) throws -> [Int32] {
  try pgrep(commandLine).filter { isDescendant($0, of: agent.process.processIdentifier) && isAlive($0) }
}

func inotifyDescriptors(of pid: Int32) -> Int {
  let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
  return fds.filter {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")) == "anon_inode:inotify"
  }.count
}
