import CoveAgentProto
import Foundation
import GRPCCore
import Testing

@Suite("Process service, against the real agent binary", .timeLimit(.minutes(5)))
struct ProcessServiceTests {
  @Test("stdout, stderr and the exit code come back separately")
  func outputAndExitCode() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let outcome = try await agent.withClient { client in
      try await client.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
    }
    #expect(outcome.out == "out\n")
    #expect(outcome.err == "err\n")
    #expect(outcome.code == 3)
    #expect(outcome.pid > 0)
    guard case .started = outcome.events.first?.event else { Issue.record("first event is not started"); return }
    guard case .exited = outcome.events.last?.event else { Issue.record("last event is not exited"); return }
  }

  @Test("environment and working directory are applied")
  func environmentAndCwd() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let outcome = try await agent.withClient { client in
      try await client.run(["sh", "-c", "echo $GREETING; pwd"]) {
        $0.env = ["GREETING": "hello cove"]
        $0.cwd = "/usr"
      }
    }
    #expect(outcome.out == "hello cove\n/usr\n")
    #expect(outcome.code == 0)
  }

  @Test("a process runs as the asked user, with that user's home")
  func runAsUser() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let outcome = try await agent.withClient { client in
      try await client.run(["sh", "-c", "id -u; id -g; echo $USER"]) {
        $0.user = "nobody"; $0.cwd = "/"
      }
    }
    #expect(outcome.out == "65534\n65534\nnobody\n")
    #expect(outcome.code == 0)
  }

  @Test("a program that cannot be executed exits 127 with the reason on stderr")
  func missingProgram() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    try await agent.withClient { client in
      let missing = try await client.run(["no-such-program-here"])
      #expect(missing.code == 127)
      #expect(missing.err.contains("no-such-program-here"))
      #expect(missing.err.contains("no such file"))
      let plain = agent.directory + "/plain-file"
      _ = FileManager.default.createFile(
        atPath: plain, contents: Data("data".utf8), attributes: [.posixPermissions: 0o644])
      let notExecutable = try await client.run([plain])
      #expect(notExecutable.code == 127)
      #expect(notExecutable.err.contains("permission denied"))
      let badCwd = try await client.run(["true"]) { $0.cwd = "/no/such/dir" }
      #expect(badCwd.code == 127)
      #expect(badCwd.err == "cove-agent: working directory /no/such/dir does not exist\n")
    }
  }

  @Test("a bad request gets an error status")
  func badRequests() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    try await agent.withClient { client in
      await #expect(throws: RPCError.self) { try await client.run([]) }
      await #expect(throws: RPCError.self) { try await client.run(["true"]) { $0.env = ["A=B": "c"] } }
      await #expect(throws: RPCError.self) { try await client.run(["true"]) { $0.user = "no-such-user-x" } }
      await #expect(throws: RPCError.self) {
        try await client.run(["true"]) {
          $0.pty = .with {
            $0.rows = 0; $0.cols = 80
          }
        }
      }
      let error = await #expect(throws: RPCError.self) {
        _ = try await client.processes.signal(
          .with {
            $0.process.pid = 999_999; $0.signal = 15
          })
      }
      #expect(error?.code == .notFound)
      // The agent is still well.
      let stillWell = try await client.run(["true"])
      #expect(stillWell.code == 0)
    }
  }

  @Test("the timeout kills the whole process group")
  func timeoutKillsGroup() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let outcome = try await agent.withClient { client in
      try await client.run(["sh", "-c", "sleep 300 & sleep 301"]) { $0.timeoutMs = 300 }
    }
    #expect(outcome.signal == 9)
    #expect(outcome.exit?.timedOut == true)
    #expect(try await eventually(within: 240) { try descendants(named: "sleep 300", of: agent).isEmpty })
  }

  @Test("stdin can be written and closed")
  func stdin() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let outcome = try await agent.withClient { client in
      try await concurrently(
        {
          try await client.run(["cat"]) {
            $0.stdin = true
            $0.tag = "cat-stdin"
          }
        },
        alongside: {
          try await waitForTag("cat-stdin", client)
          _ = try await client.processes.writeStdin(
            .with {
              $0.process.tag = "cat-stdin"; $0.data = Data("one\n".utf8)
            })
          _ = try await client.processes.writeStdin(
            .with {
              $0.process.tag = "cat-stdin"; $0.data = Data("two\n".utf8); $0.close = true
            })
        })
    }
    #expect(outcome.out == "one\ntwo\n")
    #expect(outcome.code == 0)
  }

  @Test("a background process outlives its call and can be listed, attached, signalled")
  func backgroundAttachSignal() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    try await agent.withClient { client in
      // The starting call ends as soon as it has the pid.
      let pid: UInt32 = try await client.processes.start(
        .with {
          $0.argv = ["sh", "-c", "trap 'echo got-term; exit 7' TERM; while true; do echo tick; sleep 0.1; done"]
          $0.background = true
          $0.tag = "ticker"
        }
      ) { response in
        for try await event in response.messages { if case .started(let s) = event.event { return s.pid } }
        return 0
      }
      #expect(pid > 0)
      try await Task.sleep(for: .milliseconds(300))
      let listed = try await client.processes.list(.init())
      #expect(listed.processes.contains { $0.pid == pid && $0.tag == "ticker" && $0.background })
      // The signal goes out once the attached call has seen a tick, so the
      // attach is known to be registered whatever the load.
      let attached = try await client.processes.attach(.with { $0.process.tag = "ticker" }) { response in
        var signalled = false
        return try await collect(response.messages) { sofar in
          guard !signalled, sofar.out.contains("tick") else { return }
          signalled = true
          _ = try await client.processes.signal(
            .with {
              $0.process.pid = pid; $0.signal = 15
            })
        }
      }
      #expect(attached.out.contains("tick"))
      #expect(attached.out.contains("got-term"))
      #expect(attached.code == 7)
      let afterExit = try await client.processes.list(.init())
      #expect(afterExit.processes.isEmpty)
    }
  }

  @Test("a client that vanishes mid-stream leaves no foreground process behind")
  func vanishingClient() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    try await agent.withClient { client in
      let task = Task {
        try await client.run(["sh", "-c", "while true; do echo flood; done"]) { $0.tag = "vanish" }
      }
      try await waitForTag("vanish", client)
      task.cancel()
      _ = try? await task.value
      #expect(try await eventually(within: 240) { try await client.processes.list(.init()).processes.isEmpty })
    }
  }

  @Test("a terminal: the process sees a tty of the asked size, and resize works")
  func pseudoTerminal() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let outcome = try await agent.withClient { client in
      try await client.processes.start(
        .with {
          $0.argv = ["sh", "-c", "tty; stty size; read line; stty size; echo got:$line"]
          $0.pty = .with {
            $0.rows = 24; $0.cols = 80
          }
        }
      ) { response in
        // The resize follows the first size's report, so the order holds whatever the load.
        var resized = false
        return try await collect(response.messages) { sofar in
          guard !resized, sofar.out.contains("24 80") else { return }
          resized = true
          let process = Cove_Agent_V1_ProcessSelector.with { $0.pid = sofar.pid }
          _ = try await client.processes.resizePty(
            .with {
              $0.process = process
              $0.size = .with {
                $0.rows = 50; $0.cols = 132
              }
            })
          _ = try await client.processes.writeStdin(
            .with {
              $0.process = process; $0.data = Data("hi\n".utf8)
            })
        }
      }
    }
    #expect(outcome.out.contains("/dev/pts/"))
    #expect(outcome.out.contains("24 80"))
    #expect(outcome.out.contains("50 132"), "output: \(outcome.out.debugDescription)")
    #expect(outcome.out.contains("got:hi"))
    #expect(outcome.code == 0)
  }

  @Test("output that is not UTF-8 arrives byte for byte")
  func binaryOutput() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let outcome = try await agent.withClient { client in
      try await client.run(["printf", "\\377\\376\\000\\200"])
    }
    #expect(outcome.stdout == Data([0xFF, 0xFE, 0x00, 0x80]))
  }

  @Test("a process that floods stdout delivers every byte")
  func flood() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let outcome = try await agent.withClient { client in
      try await client.run(["sh", "-c", "head -c 64000000 /dev/zero"])
    }
    #expect(outcome.stdout.count == 64_000_000)
    #expect(outcome.code == 0)
  }

  @Test("100 concurrent executions all complete with their own output")
  func concurrentExecutions() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let outputs = try await agent.withClient { client in
      try await withThrowingTaskGroup(of: (Int, String, Int32?).self) { group in
        for i in 0..<100 {
          group.addTask {
            // At most 64 run at once: retry what the limit refused.
            while true {
              do {
                let o = try await client.run(["sh", "-c", "echo \(i)"])
                return (i, o.out, o.code)
              } catch let error as RPCError where error.code == .resourceExhausted {
                try await Task.sleep(for: .milliseconds(20))
              }
            }
          }
        }
        var all: [(Int, String, Int32?)] = []
        for try await r in group { all.append(r) }
        return all
      }
    }
    #expect(outputs.count == 100)
    for (i, out, code) in outputs {
      #expect(out == "\(i)\n")
      #expect(code == 0)
    }
  }

  @Test("the process limit refuses the 65th process with a clear error")
  func processLimit() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    try await agent.withClient { client in
      for i in 0..<64 {
        _ = try await client.processes.start(
          .with {
            // Waits for ever, however long the 64 starts take under load.
            $0.argv = ["sleep", "infinity"]; $0.background = true; $0.tag = "s\(i)"
          }
        ) { response in for try await e in response.messages { if case .started = e.event { break } } }
      }
      let error = await #expect(throws: RPCError.self) { try await client.run(["true"]) }
      #expect(error?.code == .resourceExhausted)
      #expect(error?.message.contains("64") == true)
    }
  }

  @Test("orphans of started processes are reaped, not left as zombies")
  func orphansReaped() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    try await agent.withClient { client in
      // The shell exits at once; its children become the agent's.
      let o = try await client.run(["sh", "-c", "(sleep 0.3 &) ; (sleep 0.3 &) ; exit 0"])
      #expect(o.code == 0)
      // The orphans end within 0.3 s of their start, however late that was.
      #expect(try await eventually(within: 240) { try childrenOf(agent.process.processIdentifier).isEmpty })
    }
    let pid = agent.process.processIdentifier
    let zombies = try childrenOf(pid).filter { processState($0) == "Z" }
    #expect(zombies.isEmpty)
  }
}

func waitForTag<T>(_ tag: String, _ client: GRPCCore.GRPCClient<T>) async throws {
  let processes = Cove_Agent_V1_Process.Client(wrapping: client)
  for _ in 0..<200 {
    if try await processes.list(.init()).processes.contains(where: { $0.tag == tag }) { return }
    try await Task.sleep(for: .milliseconds(20))
  }
  throw HarnessError("no process tagged \(tag) appeared")
}

func childrenOf(_ pid: Int32) throws -> [Int32] {
  let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
  return tasks.flatMap { task in
    ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "")
      .split(separator: " ").compactMap { Int32($0) }
  }
}

func processState(_ pid: Int32) -> String? {
  guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
    let close = stat.lastIndex(of: ")")
  else { return nil }
  return stat[stat.index(close, offsetBy: 2)...].split(separator: " ").first.map(String.init)
}

func pgrep(_ commandLine: String) throws -> [Int32] {
  let pids = (try FileManager.default.contentsOfDirectory(atPath: "/proc")).compactMap { Int32($0) }
  return pids.filter { pid in
    guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
    let text = String(decoding: raw.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    return text.hasPrefix(commandLine)
  }
}

func isDescendant(_ pid: Int32, of ancestor: Int32) -> Bool {
  var current = pid
  for _ in 0..<64 {
    guard let stat = try? String(contentsOfFile: "/proc/\(current)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return false }
    let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
    guard fields.count > 1, let parent = Int32(fields[1]) else { return false }
    if parent == ancestor { return true }
    if parent <= 1 { return false }
    current = parent
  }
  return false
}
