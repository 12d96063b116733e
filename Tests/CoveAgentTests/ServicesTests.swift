import CoveAgentProto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Testing

@testable import CoveAgent

/// An agent whose /run/user is a tmpfs of its own mount namespace, so that
/// the runtime directories it makes for services vanish with it.
private func isolatedAgent() async throws -> AgentHarness {
  try await AgentHarness(prefix: [
    "unshare", "--mount", "--propagation", "private", "sh", "-c",
    "mkdir -p /run/user && mount -t tmpfs -o mode=0755 cove-test /run/user && exec \"$@\"", "sh",
  ])
}

extension GRPCClient where Transport == HTTP2ClientTransport.Posix {
  func startService(
    _ name: String, _ argv: [String], configure: (inout Cove_Agent_V1_ServiceSpec) -> Void = { _ in }
  ) async throws -> Cove_Agent_V1_ServiceStatus {
    var spec = Cove_Agent_V1_ServiceSpec()
    spec.name = name
    spec.argv = argv
    configure(&spec)
    return try await services.start(spec)
  }

  func service(_ name: String) async throws -> Cove_Agent_V1_ServiceStatus? {
    try await services.list(.init()).services.first { $0.name == name }
  }

  func serviceLog(_ name: String, tail: UInt32 = 0) async throws -> String {
    let response = try await services.logs(
      .with {
        $0.name = name
        $0.tailBytes = tail
      })
    return String(decoding: response.data, as: UTF8.self)
  }

  @discardableResult
  func stopService(_ name: String) async throws -> Cove_Agent_V1_ServiceStatus {
    try await services.stop(.with { $0.name = name })
  }
}

@Suite("Services, against the real agent binary", .timeLimit(.minutes(5)))
struct ServicesTests {
  @Test("a service runs as nobody with its home, XDG directories, runtime directory and uid")
  func runsAsUser() async throws {
    let agent = try await isolatedAgent()
    defer { agent.stop() }
    let passwd = try String(contentsOfFile: "/etc/passwd", encoding: .utf8)
    let nobody = try #require(passwd.split(separator: "\n").first { $0.hasPrefix("nobody:") })
      .split(separator: ":", omittingEmptySubsequences: false)
    let (gid, home) = (String(nobody[3]), String(nobody[5]))
    let start = FileManager.default.fileExists(atPath: home) ? home : "/"
    try await agent.withClient { client in
      let script =
        "id -u; id -g; echo HOME=$HOME USER=$USER LOGNAME=$LOGNAME SHELL=$SHELL; echo RUNTIME=$XDG_RUNTIME_DIR; "
        + "stat -c %a:%u:%g \"$XDG_RUNTIME_DIR\"; echo CONFIG=$XDG_CONFIG_HOME DATA=$XDG_DATA_HOME; "
        + "echo CACHE=$XDG_CACHE_HOME STATE=$XDG_STATE_HOME; echo PWD=$(pwd); echo up; exec sleep 3011"
      let started = try await client.startService("as-nobody", ["sh", "-c", script]) {
        $0.user = "nobody"
        $0.env = ["XDG_CACHE_HOME": "/tmp/given"]
      }
      #expect(started.state == .running)
      #expect(started.pid > 0)
      #expect(started.uid == 65534)
      #expect(started.logPath == agent.directory + "/logs/as-nobody.log")
      #expect(await eventually { (try? await client.serviceLog("as-nobody"))?.hasSuffix("up\n") == true })
      let expected = """
        65534
        \(gid)
        HOME=\(home) USER=nobody LOGNAME=nobody SHELL=\(nobody[6])
        RUNTIME=/run/user/65534
        700:65534:\(gid)
        CONFIG=\(home)/.config DATA=\(home)/.local/share
        CACHE=/tmp/given STATE=\(home)/.local/state
        PWD=\(start)
        up

        """
      #expect(try await client.serviceLog("as-nobody") == expected)
      try await client.stopService("as-nobody")
    }
  }

  @Test("a named group replaces the user's primary group")
  func group() async throws {
    let agent = try await isolatedAgent()
    defer { agent.stop() }
    try await agent.withClient { client in
      let started = try await client.startService("grouped", ["sh", "-c", "id -u; id -g"]) {
        $0.user = "nobody"
        $0.group = "0"
        $0.restart = .restartNever
      }
      #expect(started.gid == 0)
      #expect(try await eventually { try await client.service("grouped")?.state == .exited })
      #expect(try await client.serviceLog("grouped") == "65534\n0\n")
    }
  }

  @Test("a failing service is restarted, and its log keeps every run")
  func restartsAfterFailure() async throws {
    let agent = try await isolatedAgent()
    defer { agent.stop() }
    try await agent.withClient { client in
      _ = try await client.startService("flaky", ["sh", "-c", "echo run; exit 3"]) { $0.restartDelayMs = 100 }
      #expect(try await eventually { (try await client.service("flaky")?.restarts ?? 0) >= 2 })
      let status = try #require(try await client.service("flaky"))
      #expect(status.lastExit == 3)
      let runs = try await client.serviceLog("flaky").split(separator: "\n")
      #expect(runs.count >= 2)
      #expect(runs.allSatisfy { $0 == "run" })
      try await client.stopService("flaky")
    }
  }

  @Test("RESTART_NEVER, and ON_FAILURE after exit 0, leave a service exited")
  func staysExited() async throws {
    let agent = try await isolatedAgent()
    defer { agent.stop() }
    try await agent.withClient { client in
      _ = try await client.startService("never", ["sh", "-c", "echo once; exit 4"]) {
        $0.restart = .restartNever
        $0.restartDelayMs = 50
      }
      _ = try await client.startService("clean", ["sh", "-c", "echo clean"]) { $0.restartDelayMs = 50 }
      #expect(try await eventually { try await client.service("never")?.state == .exited })
      #expect(try await eventually { try await client.service("clean")?.state == .exited })
      // Well past the restart delay: still nothing restarted.
      try await Task.sleep(for: .milliseconds(500))
      let never = try #require(try await client.service("never"))
      #expect(never.restarts == 0)
      #expect(never.lastExit == 4)
      #expect(never.pid == 0)
      #expect(try await client.service("clean")?.restarts == 0)
      #expect(try await client.serviceLog("never") == "once\n")
      #expect(try await client.serviceLog("clean") == "clean\n")
      // An exited service is still defined until it is stopped.
      let names = try await client.services.list(.init()).services.map(\.name)
      #expect(names == ["clean", "never"])
    }
  }

  @Test("Stop ends the service's whole process group and forgets it; the name is free again")
  func stop() async throws {
    let agent = try await isolatedAgent()
    defer { agent.stop() }
    try await agent.withClient { client in
      _ = try await client.startService("sleeper", ["sh", "-c", "sleep 3012 & sleep 3013"]) {
        $0.restart = .restartAlways
      }
      #expect(try await eventually { try !pgrep("sleep 3012").isEmpty && !pgrep("sleep 3013").isEmpty })
      let stopped = try await client.stopService("sleeper")
      #expect(stopped.state == .exited)
      #expect(stopped.pid == 0)
      #expect(stopped.lastExit == 128 + 15)
      #expect(try await client.services.list(.init()).services.isEmpty)
      #expect(try await eventually { try pgrep("sleep 3012").isEmpty && pgrep("sleep 3013").isEmpty })
      let again = await #expect(throws: RPCError.self) { try await client.stopService("sleeper") }
      #expect(again?.code == .notFound)
      #expect(try await client.startService("sleeper", ["sleep", "3012"]).state == .running)
      try await client.stopService("sleeper")
    }
  }

  @Test("a service that ignores SIGTERM is killed after the grace period")
  func stopEscalates() async throws {
    let agent = try await isolatedAgent()
    defer { agent.stop() }
    try await agent.withClient { client in
      _ = try await client.startService(
        "stubborn", ["sh", "-c", "trap '' TERM; echo trapped; while true; do sleep 0.1; done"])
      #expect(try await eventually { try await client.serviceLog("stubborn") == "trapped\n" })
      let stopped = try await client.stopService("stubborn")
      #expect(stopped.lastExit == 128 + 9)
    }
  }

  @Test("a second service of the same name is refused with ALREADY_EXISTS")
  func duplicate() async throws {
    let agent = try await isolatedAgent()
    defer { agent.stop() }
    try await agent.withClient { client in
      _ = try await client.startService("one", ["sleep", "3014"])
      let error = await #expect(throws: RPCError.self) {
        _ = try await client.startService("one", ["sleep", "3015"])
      }
      #expect(error?.code == .alreadyExists)
      #expect(try await client.services.list(.init()).services.count == 1)
      try await client.stopService("one")
    }
  }

  @Test("Logs returns the end of the log, also after Stop")
  func logs() async throws {
    let agent = try await isolatedAgent()
    defer { agent.stop() }
    try await agent.withClient { client in
      _ = try await client.startService("counter", ["sh", "-c", "seq 1 2000; exec sleep 3016"])
      #expect(try await eventually { try await client.serviceLog("counter", tail: 5) == "2000\n" })
      // 20 lines of five bytes each.
      #expect(try await client.serviceLog("counter", tail: 100) == (1981...2000).map { "\($0)\n" }.joined())
      #expect(try await client.serviceLog("counter") == (1...2000).map { "\($0)\n" }.joined())
      try await client.stopService("counter")
      #expect(try await client.serviceLog("counter", tail: 5) == "2000\n")
      let unknown = await #expect(throws: RPCError.self) { _ = try await client.serviceLog("no-such-service") }
      #expect(unknown?.code == .notFound)
      let invalid = await #expect(throws: RPCError.self) { _ = try await client.serviceLog("../etc") }
      #expect(invalid?.code == .invalidArgument)
    }
  }

  @Test("bad specs are refused with invalid argument")
  func badSpecs() async throws {
    let agent = try await isolatedAgent()
    defer { agent.stop() }
    try await agent.withClient { client in
      for name in ["", "Upper", "-lead", ".hidden", "a/b", String(repeating: "a", count: 64)] {
        let error = await #expect(throws: RPCError.self) { _ = try await client.startService(name, ["true"]) }
        #expect(error?.code == .invalidArgument, "\(name)")
      }
      func spec(_ change: (inout Cove_Agent_V1_ServiceSpec) -> Void) -> Cove_Agent_V1_ServiceSpec {
        var spec = Cove_Agent_V1_ServiceSpec.with {
          $0.name = "valid-name"
          $0.argv = ["true"]
        }
        change(&spec)
        return spec
      }
      let invalid = [
        spec { $0.argv = [] }, spec { $0.user = "no-such-user-x" }, spec { $0.group = "no-such-group-x" },
        spec { $0.env = ["A=B": "c"] },
      ]
      for request in invalid {
        let error = await #expect(throws: RPCError.self) { _ = try await client.services.start(request) }
        #expect(error?.code == .invalidArgument)
      }
      let defined = try await client.services.list(.init()).services
      #expect(defined.isEmpty)
    }
  }

  @Test("services are killed when the agent stops, and not restarted")
  func killedAtShutdown() async throws {
    let agent = try await isolatedAgent()
    try await agent.withClient { client in
      _ = try await client.startService("survivor", ["sleep", "3017"]) {
        $0.restart = .restartAlways
        $0.restartDelayMs = 50
      }
    }
    #expect(try await eventually { try !pgrep("sleep 3017").isEmpty })
    agent.stop()
    #expect(try await eventually { try pgrep("sleep 3017").isEmpty })
    try await Task.sleep(for: .milliseconds(300))
    #expect(try pgrep("sleep 3017").isEmpty)
  }
}

@Suite("Service parts without a process: names, backoff, log rotation, groups")
struct ServicePartsTests {
  @Test("names are lowercase letters, digits, '.', '_' and '-', 1 to 63 long")
  func names() {
    for name in ["a", "web", "api-2", "x.y_z", "0start", String(repeating: "a", count: 63)] {
      #expect(ServiceDefinition.isValidName(name), "\(name)")
    }
    for name in ["", "A", "-a", "_a", ".a", "a b", "a/b", "é", String(repeating: "a", count: 64)] {
      #expect(!ServiceDefinition.isValidName(name), "\(name)")
    }
  }

  @Test("the delay doubles on quick failures up to 30 s and resets after a long run")
  func backoff() {
    var backoff = RestartBackoff(firstMilliseconds: 500)
    let quick = (0..<8).map { _ in backoff.delay(afterRunning: 100) }
    #expect(quick == [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000])
    #expect(backoff.delay(afterRunning: 10_000) == 500)
    #expect(backoff.delay(afterRunning: 1) == 1000)
    var long = RestartBackoff(firstMilliseconds: 60_000)
    #expect(long.delay(afterRunning: 0) == 30_000)
  }

  @Test("restart policies")
  func policies() {
    #expect(Cove_Agent_V1_RestartPolicy.restartOnFailure.restarts(after: .exited(1)))
    #expect(Cove_Agent_V1_RestartPolicy.restartOnFailure.restarts(after: .signaled(9)))
    #expect(Cove_Agent_V1_RestartPolicy.restartOnFailure.restarts(after: nil))
    #expect(!Cove_Agent_V1_RestartPolicy.restartOnFailure.restarts(after: .exited(0)))
    #expect(Cove_Agent_V1_RestartPolicy.restartAlways.restarts(after: .exited(0)))
    #expect(!Cove_Agent_V1_RestartPolicy.restartNever.restarts(after: .exited(1)))
  }

  @Test("a full log becomes NAME.log.1 and the tail reaches into it")
  func rotation() throws {
    let directory = NSTemporaryDirectory() + "cove-service-log-" + UUID().uuidString.prefix(8)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var log = try ServiceLog(directory: directory + "/nested", name: "big")
    let chunk = 1 << 20
    for i in 0..<5 { log.append([UInt8](repeating: UInt8(i), count: chunk)) }
    log.finish()
    let sizes = try [log.path, log.previousPath].map {
      try FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int
    }
    #expect(sizes == [chunk, 4 * chunk])
    let tail = ServiceLog.tail(log.path, count: chunk + 2)
    #expect(tail == [3, 3] + [UInt8](repeating: 4, count: chunk))
    #expect(ServiceLog.tail(log.path, count: 3) == [4, 4, 4])
  }

  @Test("groups are found by name or number")
  func groups() {
    let group = "root:x:0:\nstaff:x:50:alice\n"
    #expect(UserDatabase.groupID("staff", group: group) == 50)
    #expect(UserDatabase.groupID("0", group: group) == 0)
    #expect(UserDatabase.groupID("1234", group: group) == 1234)
    #expect(UserDatabase.groupID("nobody-here", group: group) == nil)
  }
}
