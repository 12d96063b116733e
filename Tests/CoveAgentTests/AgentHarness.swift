import CoveAgentProto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix

/// Starts the real cove-agent binary on a fresh Unix socket and gives tests a
/// client for it. The agent and everything it started is gone afterwards.
final class AgentHarness: Sendable {
  let process: Foundation.Process
  let socketPath: String
  let directory: String

  static var binary: String {
    if let path = ProcessInfo.processInfo.environment["COVE_AGENT_BINARY"] { return path }
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [
      beside, beside.deletingLastPathComponent(), beside.deletingLastPathComponent().deletingLastPathComponent(),
    ] {
      let path = candidate.appendingPathComponent("cove-agent").path
      if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug/cove-agent").path
  }

  /// Starts an agent, optionally under a command prefix such as `unshare --uts`,
  /// with more arguments to `serve` and more environment variables.
  init(prefix: [String] = [], arguments: [String] = [], environment: [String: String] = [:]) async throws {
    directory = NSTemporaryDirectory() + "cove-agent-test-" + UUID().uuidString.prefix(8)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    socketPath = directory + "/agent.sock"
    let process = Foundation.Process()
    let argv = prefix + [Self.binary, "serve", "--listen", "unix:" + socketPath] + arguments
    process.executableURL = URL(fileURLWithPath: prefix.isEmpty ? argv[0] : "/usr/bin/env")
    process.arguments = prefix.isEmpty ? Array(argv.dropFirst()) : argv
    process.environment = [
      "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "COVE_AGENT_LOG": "warning", "HOME": "/root",
      "COVE_AGENT_SERVICE_LOG_DIR": directory + "/logs",
    ].merging(environment) { $1 }
    try process.run()
    self.process = process
    // The socket file appears at bind(), before listen(): wait until a
    // connection is accepted (a raw client does not retry as gRPC's does).
    // Starting can be slow on a loaded machine; this is no expectation.
    for _ in 0..<3000 {
      if RawHTTP2Connection.canConnect(socketPath: socketPath) { return }
      if !process.isRunning { break }
      try await Task.sleep(for: .milliseconds(10))
    }
    process.terminate()
    throw HarnessError("the agent did not listen on \(socketPath)")
  }

  /// Runs `body` with a client connected to the agent.
  func withClient<R: Sendable>(
    _ body: @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> R
  ) async throws -> R {
    let transport = try HTTP2ClientTransport.Posix(
      target: .unixDomainSocket(path: socketPath),
      transportSecurity: .plaintext,
      config: .defaults { $0.connection.maxIdleTime = nil },
    )
    return try await withGRPCClient(transport: transport) { client in try await body(client) }
  }

  func stop() {
    if process.isRunning {
      process.terminate()
      process.waitUntilExit()
    }
    try? FileManager.default.removeItem(atPath: directory)
  }

  deinit { stop() }
}

struct HarnessError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// What a process printed and how it ended.
struct Outcome: Sendable {
  var pid: UInt32 = 0
  var stdout = Data()
  var stderr = Data()
  var exit: Cove_Agent_V1_ProcessEvent.Exited?
  var events: [Cove_Agent_V1_ProcessEvent] = []

  var out: String { String(decoding: stdout, as: UTF8.self) }
  var err: String { String(decoding: stderr, as: UTF8.self) }
  var code: Int32? { if case .code(let c) = exit?.status { c } else { nil } }
  var signal: Int32? { if case .signal(let s) = exit?.status { s } else { nil } }
}

extension GRPCClient where Transport == HTTP2ClientTransport.Posix {
  var processes: Cove_Agent_V1_Process.Client<Transport> { .init(wrapping: self) }
  var files: Cove_Agent_V1_Files.Client<Transport> { .init(wrapping: self) }
  var system: Cove_Agent_V1_System.Client<Transport> { .init(wrapping: self) }
  var lifecycle: Cove_Agent_V1_Lifecycle.Client<Transport> { .init(wrapping: self) }
  var services: Cove_Agent_V1_Services.Client<Transport> { .init(wrapping: self) }

  /// Starts a process and collects its events until it exits.
  func run(_ argv: [String], configure: (inout Cove_Agent_V1_StartRequest) -> Void = { _ in }) async throws
    -> Outcome
  {
    var request = Cove_Agent_V1_StartRequest()
    request.argv = argv
    configure(&request)
    return try await processes.start(request) { response in
      try await collect(response.messages)
    }
  }
}

func collect<S: AsyncSequence>(
  _ events: S,
  afterEach react: (Outcome) async throws -> Void = { _ in }
) async throws -> Outcome where S.Element == Cove_Agent_V1_ProcessEvent {
  var outcome = Outcome()
  for try await event in events {
    outcome.events.append(event)
    switch event.event {
    case .started(let s): outcome.pid = s.pid
    case .stdout(let d): outcome.stdout.append(d)
    case .stderr(let d): outcome.stderr.append(d)
    case .exited(let e): outcome.exit = e
    case nil: break
    }
    try await react(outcome)
  }
  return outcome
}

/// Runs `main` while `side` drives it (writes stdin, sends signals) and
/// returns what `main` returned once both ended.
func concurrently<T: Sendable>(
  _ main: @escaping @Sendable () async throws -> T,
  alongside side: @escaping @Sendable () async throws -> Void
) async throws -> T {
  async let result = main()
  try await side()
  return try await result
}

/// Waits until `condition` holds, checking every 50 ms; false when it still
/// does not after `seconds`.
func eventually(within seconds: Double = 10, _ condition: () async throws -> Bool) async rethrows -> Bool {
  let deadline = Date().addingTimeInterval(seconds)
  while Date() < deadline {
    if try await condition() { return true }
    try? await Task.sleep(for: .milliseconds(50))
  }
  return try await condition()
}
