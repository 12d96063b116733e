import CoveAgentProto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Testing

@testable import CoveAgent

extension GRPCClient where Transport == HTTP2ClientTransport.Posix {
  /// Gives each hook in `commands` a `sh -c` script.
  func configureHooks(_ scripts: [Cove_Agent_V1_Hook: String], port: UInt32 = 0) async throws {
    _ = try await lifecycle.configure(
      .with {
        $0.hooks = scripts.map { hook, script in
          .with {
            $0.hook = hook
            $0.command = .with { $0.argv = ["sh", "-c", script] }
          }
        }
        $0.httpPort = port
      })
  }

  func invoke(_ hook: Cove_Agent_V1_Hook, _ payload: String = "") async throws -> Cove_Agent_V1_InvokeHookResponse {
    try await lifecycle.invoke(
      .with {
        $0.hook = hook
        $0.payload = Data(payload.utf8)
      })
  }
}

private func contents(_ path: String) -> String {
  (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
}

@Suite("Lifecycle hooks, against the real agent binary", .timeLimit(.minutes(5)))
struct LifecycleTests {
  @Test("ready answers NOT_READY until its command exits 0, then ALREADY_DONE without running it")
  func readyUntilDone() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let counter = agent.directory + "/ready-count"
    try await agent.withClient { client in
      // Fails on the first two runs, succeeds on the third.
      try await client.configureHooks([
        .ready: "n=$(cat \(counter) 2>/dev/null || echo 0); n=$((n+1)); echo $n > \(counter); "
          + "echo \"try $n\" >&2; [ $n -ge 3 ]"
      ])
      let outcomes = try await (0..<5).asyncMap { _ in try await client.invoke(.ready) }
      #expect(outcomes.map(\.outcome) == [.notReady, .notReady, .done, .alreadyDone, .alreadyDone])
      #expect(outcomes[0].exitCode == 1)
      #expect(outcomes[1].message == "try 2\n")
      #expect(contents(counter) == "3\n")
    }
  }

  @Test("run gets the payload on stdin, returns its stdout, and runs once")
  func runOnce() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let runs = agent.directory + "/runs"
    try await agent.withClient { client in
      try await client.configureHooks([.run: "echo run >> \(runs); tr a-z A-Z"])
      _ = try await client.invoke(.ready)
      let first = try await client.invoke(.run, "hello payload")
      #expect(first.outcome == .done)
      #expect(String(decoding: first.output, as: UTF8.self) == "HELLO PAYLOAD")
      let second = try await client.invoke(.run, "again")
      #expect(second.outcome == .alreadyDone)
      #expect(second.output.isEmpty)
      #expect(contents(runs) == "run\n")
    }
  }

  @Test("the first run counts even when it failed: run is not run again")
  func failedRunIsFinal() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    try await agent.withClient { client in
      try await client.configureHooks([.run: "echo 'no luck' >&2; exit 7"])
      _ = try await client.invoke(.ready)
      let first = try await client.invoke(.run)
      #expect(first.outcome == .failed)
      #expect(first.exitCode == 7)
      #expect(first.message == "no luck\n")
      #expect(try await client.invoke(.run).outcome == .alreadyDone)
    }
  }

  @Test("run, suspend and resume are refused before ready, and nothing runs")
  func refusedBeforeReady() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let ran = agent.directory + "/ran"
    try await agent.withClient { client in
      try await client.configureHooks([
        .run: "echo run >> \(ran)", .suspend: "echo suspend >> \(ran)", .resume: "echo resume >> \(ran)",
      ])
      for hook in [Cove_Agent_V1_Hook.run, .suspend, .resume] {
        let response = try await client.invoke(hook)
        #expect(response.outcome == .refused, "\(hook)")
        #expect(!response.message.isEmpty)
      }
      #expect(!FileManager.default.fileExists(atPath: ran))
      // Validate may run before ready.
      #expect(try await client.invoke(.validate).outcome == .done)
    }
  }

  @Test("suspend runs again only after a resume, and resume only when suspended")
  func suspendResumePairing() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let order = agent.directory + "/order"
    try await agent.withClient { client in
      try await client.configureHooks([.suspend: "echo suspend >> \(order)", .resume: "echo resume >> \(order)"])
      #expect(try await client.invoke(.ready).outcome == .done)
      let sequence: [Cove_Agent_V1_Hook] = [.resume, .suspend, .suspend, .resume, .resume, .suspend]
      let outcomes = try await sequence.asyncMap { try await client.invoke($0).outcome }
      #expect(outcomes == [.alreadyDone, .done, .alreadyDone, .done, .alreadyDone, .done])
      #expect(contents(order) == "suspend\nresume\nsuspend\n")
    }
  }

  @Test("after terminate every hook is refused, terminate included")
  func refusedAfterTerminate() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let ran = agent.directory + "/terminated"
    try await agent.withClient { client in
      try await client.configureHooks([.terminate: "echo bye >> \(ran)", .validate: "echo validate >> \(ran)"])
      #expect(try await client.invoke(.ready).outcome == .done)
      #expect(try await client.invoke(.terminate).outcome == .done)
      for hook in [Cove_Agent_V1_Hook.ready, .validate, .run, .suspend, .resume, .terminate] {
        #expect(try await client.invoke(hook).outcome == .refused, "\(hook)")
      }
      #expect(contents(ran) == "bye\n")
    }
  }

  @Test("concurrent invokes run one hook at a time, and ready runs once")
  func serialized() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let lock = agent.directory + "/lock"
    let log = agent.directory + "/log"
    try await agent.withClient { client in
      // mkdir fails if another command holds the lock: an overlap is written down.
      let critical = "mkdir \(lock) || echo overlap >> \(log); sleep 0.1; rmdir \(lock)"
      try await client.configureHooks([.ready: "\(critical); echo ready >> \(log)", .validate: critical])
      let outcomes = try await withThrowingTaskGroup(of: Cove_Agent_V1_HookOutcome.self) { group in
        for i in 0..<8 {
          group.addTask { try await client.invoke(i % 2 == 0 ? .ready : .validate).outcome }
        }
        return try await group.reduce(into: []) { $0.append($1) }
      }
      #expect(outcomes.filter { $0 == .done }.count == 5)
      #expect(outcomes.filter { $0 == .alreadyDone }.count == 3)
      #expect(contents(log) == "ready\n")
    }
  }

  @Test("a command that outlives its timeout is killed and reported")
  func timeout() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    try await agent.withClient { client in
      _ = try await client.lifecycle.configure(
        .with {
          $0.hooks = [
            .with {
              $0.hook = .validate
              $0.command = .with {
                $0.argv = ["sleep", "30"]
                $0.timeoutMs = 200
              }
            }
          ]
        })
      let response = try await client.invoke(.validate)
      #expect(response.outcome == .notReady)
      #expect(response.exitCode == 128 + 9)
      #expect(response.message.hasPrefix("timed out after 200 ms"))
    }
  }

  @Test("status lists the hooks that ran or were refused, oldest first, and the port")
  func status() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    try await agent.withClient { client in
      let port = try RawHTTP.freePort()
      try await client.configureHooks([.validate: "exit 1"], port: port)
      // Hooks are stamped with the wall clock: each between these two.
      let before = Int64(Date().timeIntervalSince1970 * 1000)
      _ = try await client.invoke(.run)  // refused
      _ = try await client.invoke(.ready)  // done
      _ = try await client.invoke(.ready)  // already done: not history
      _ = try await client.invoke(.validate)  // not ready
      let status = try await client.lifecycle.status(.init())
      #expect(status.history.map(\.hook) == [.run, .ready, .validate])
      #expect(status.history.map(\.outcome) == [.refused, .done, .notReady])
      #expect(status.httpPort == port)
      let after = Int64(Date().timeIntervalSince1970 * 1000)
      #expect(status.history.allSatisfy { (before...after).contains($0.unixMs) })
    }
  }

  @Test("bad requests get invalid argument")
  func badRequests() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    try await agent.withClient { client in
      let unnamed = await #expect(throws: RPCError.self) { _ = try await client.invoke(.unspecified) }
      #expect(unnamed?.code == .invalidArgument)
      let twice = await #expect(throws: RPCError.self) {
        _ = try await client.lifecycle.configure(
          .with {
            $0.hooks = [
              .with { $0.hook = .ready }, .with { $0.hook = .ready },
            ]
          })
      }
      #expect(twice?.code == .invalidArgument)
      let port = await #expect(throws: RPCError.self) {
        _ = try await client.lifecycle.configure(.with { $0.httpPort = 70_000 })
      }
      #expect(port?.code == .invalidArgument)
    }
  }

  @Test("the HTTP contract answers with the outcome's status code and the output as body")
  func httpContract() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    let flag = agent.directory + "/up"
    try await agent.withClient { client in
      let port = try RawHTTP.freePort()
      try await client.configureHooks(
        [.ready: "test -e \(flag) || { echo 'still starting' >&2; exit 1; }", .run: "cat; echo ' and more'"],
        port: port)
      let prefix = "/aws/lambda-microvms/runtime/v1/"

      let early = try RawHTTP.send(port: port, path: prefix + "run", body: Array("x".utf8))
      #expect(early.status == 409)
      let notReady = try RawHTTP.send(port: port, path: prefix + "ready")
      #expect(notReady.status == 503)
      #expect(notReady.text == "still starting\n")
      #expect(FileManager.default.createFile(atPath: flag, contents: nil))
      let ready = try RawHTTP.send(port: port, path: prefix + "ready")
      #expect(ready.status == 200)
      #expect(ready.head.lowercased().contains("content-type: application/octet-stream"))

      let run = try RawHTTP.send(port: port, path: prefix + "run", body: Array("the payload".utf8))
      #expect(run.status == 200)
      #expect(run.text == "the payload and more\n")
      let again = try RawHTTP.send(port: port, path: prefix + "run", body: Array("x".utf8))
      #expect(again.status == 200)
      #expect(again.body.isEmpty)

      #expect(try RawHTTP.send(port: port, path: prefix + "reboot").status == 404)
      #expect(try RawHTTP.send(port: port, path: "/").status == 404)
      let get = try RawHTTP.send(port: port, method: "GET", path: prefix + "validate")
      #expect(get.status == 405)
      #expect(get.head.lowercased().contains("allow: post"))
      let tooLarge = try RawHTTP.send(
        port: port, path: prefix + "validate", body: [UInt8](repeating: 0x61, count: (6 << 20) + 1))
      #expect(tooLarge.status == 413)

      // HTTP and gRPC share one state.
      #expect(try await client.invoke(.run).outcome == .alreadyDone)
      #expect(try RawHTTP.send(port: port, path: prefix + "terminate").status == 200)
      #expect(try RawHTTP.send(port: port, path: prefix + "validate").status == 409)
    }
  }

  @Test("a later Configure moves the HTTP listener; port 0 closes it")
  func httpListenerMoves() async throws {
    let agent = try await AgentHarness()
    defer { agent.stop() }
    try await agent.withClient { client in
      let first = try RawHTTP.freePort()
      try await client.configureHooks([:], port: first)
      #expect(RawHTTP.canConnect(port: first))
      let second = try RawHTTP.freePort()
      try await client.configureHooks([:], port: second)
      #expect(try RawHTTP.send(port: second, path: "/aws/lambda-microvms/runtime/v1/validate").status == 200)
      #expect(await eventually { !RawHTTP.canConnect(port: first) })
      try await client.configureHooks([:], port: 0)
      #expect(await eventually { !RawHTTP.canConnect(port: second) })
      #expect(try await client.lifecycle.status(.init()).httpPort == 0)
    }
  }
}

@Suite("The lifecycle state machine and the HTTP routes, without a process")
struct LifecycleStateTests {
  @Test("outcomes follow the contract's order")
  func transitions() {
    var state = LifecycleState()
    #expect(state.decide(.run) != .run)
    #expect(state.decide(.validate) == .run)
    state.settle(.ready, .notReady)
    #expect(state.decide(.ready) == .run)
    state.settle(.ready, .done)
    #expect(state.decide(.ready) == .answer(.alreadyDone, ""))
    #expect(state.decide(.resume) == .answer(.alreadyDone, ""))
    state.settle(.suspend, .failed)
    #expect(state.decide(.suspend) == .run)
    state.settle(.suspend, .done)
    #expect(state.decide(.suspend) == .answer(.alreadyDone, ""))
    #expect(state.decide(.resume) == .run)
    state.settle(.terminate, .failed)
    for hook in LifecycleState.hooks {
      guard case .answer(.refused, _) = state.decide(hook) else {
        Issue.record("\(hook) is not refused after terminate")
        continue
      }
    }
  }

  @Test("exit codes map to DONE, NOT_READY or FAILED by hook")
  func outcomes() {
    #expect(LifecycleState.outcome(of: .ready, exitCode: 0) == .done)
    #expect(LifecycleState.outcome(of: .ready, exitCode: 1) == .notReady)
    #expect(LifecycleState.outcome(of: .validate, exitCode: 137) == .notReady)
    #expect(LifecycleState.outcome(of: .run, exitCode: 1) == .failed)
    #expect(LifecycleState.outcome(of: .terminate, exitCode: 2) == .failed)
  }

  @Test("routes: hook paths take POST only; anything else is not found")
  func routes() {
    let prefix = HookHTTPContract.pathPrefix
    #expect(HookHTTPContract.route(method: .POST, uri: prefix + "ready") == .hook(.ready))
    #expect(HookHTTPContract.route(method: .POST, uri: prefix + "terminate?x=1") == .hook(.terminate))
    #expect(HookHTTPContract.route(method: .GET, uri: prefix + "run") == .methodNotAllowed)
    #expect(HookHTTPContract.route(method: .POST, uri: prefix + "unspecified") == .notFound)
    #expect(HookHTTPContract.route(method: .POST, uri: prefix + "ready/") == .notFound)
    #expect(HookHTTPContract.route(method: .POST, uri: "/ready") == .notFound)
  }

  @Test("answers: each outcome has its status code")
  func answers() {
    func status(_ outcome: Cove_Agent_V1_HookOutcome) -> UInt {
      HookHTTPContract.answer(.with { $0.outcome = outcome }).status.code
    }
    #expect(status(.done) == 200)
    #expect(status(.alreadyDone) == 200)
    #expect(status(.notReady) == 503)
    #expect(status(.refused) == 409)
    #expect(status(.failed) == 500)
    let done = HookHTTPContract.answer(
      .with {
        $0.outcome = .done
        $0.output = Data([1, 2, 3])
      })
    #expect(done.body == [1, 2, 3])
  }
}

extension Sequence {
  /// Maps in order, one element at a time.
  func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
    var results: [T] = []
    for element in self { results.append(try await transform(element)) }
    return results
  }
}
