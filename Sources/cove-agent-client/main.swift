import CoveAgentProto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2Posix

// cove-agent-client exec unix:PATH CMD ARGS...   runs a command, streams its output, exits with its code
// cove-agent-client bench unix:PATH AGENT_PID N   prints exec round-trip figures against posix_spawn

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 3, arguments[1].hasPrefix("unix:") else {
  FileHandle.standardError.write(Data("usage: cove-agent-client exec|bench unix:PATH ...\n".utf8))
  exit(2)
}
let socketPath = String(arguments[1].dropFirst(5))

func connect<R: Sendable>(_ body: @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> R) async throws
  -> R
{
  for _ in 0..<500 where !FileManager.default.fileExists(atPath: socketPath) { usleep(10_000) }
  let transport = try HTTP2ClientTransport.Posix(
    target: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext)
  return try await withGRPCClient(transport: transport) { try await body($0) }
}

@Sendable func runTrue(_ processes: Cove_Agent_V1_Process.Client<HTTP2ClientTransport.Posix>) async throws {
  try await processes.start(.with { $0.argv = ["/bin/true"] }) { response in
    for try await _ in response.messages {}
  }
}

@Sendable func milliseconds(_ d: Duration) -> Double {
  Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
}

func percentile(_ values: [Double], _ p: Double) -> Double {
  let sorted = values.sorted()
  return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func spawnTrue() {
  var pid: pid_t = 0
  let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
  defer { free(argv[0]) }
  posix_spawn(&pid, "/bin/true", nil, nil, argv, environ)
  var status: Int32 = 0
  waitpid(pid, &status, 0)
}

switch arguments[0] {
case "exec":
  let argv = Array(arguments.dropFirst(2))
  let code = try await connect { client in
    try await Cove_Agent_V1_Process.Client(wrapping: client).start(.with { $0.argv = argv }) { response in
      var code: Int32 = 1
      for try await event in response.messages {
        switch event.event {
        case .stdout(let d): FileHandle.standardOutput.write(d)
        case .stderr(let d): FileHandle.standardError.write(d)
        case .exited(let e):
          if case .code(let c) = e.status { code = c } else if case .signal(let s) = e.status { code = 128 + s }
        default: break
        }
      }
      return code
    }
  }
  exit(code)

case "bench":
  let agentPID = Int32(arguments[2]) ?? 0
  let iterations = arguments.count > 3 ? Int(arguments[3]) ?? 200 : 200
  let clock = ContinuousClock()
  let (agentTimes, rss) = try await connect { client in
    let processes = Cove_Agent_V1_Process.Client(wrapping: client)
    _ = try await Cove_Agent_V1_System.Client(wrapping: client).health(.init())
    try await Task.sleep(for: .seconds(1))
    let status = (try? String(contentsOfFile: "/proc/\(agentPID)/status", encoding: .utf8)) ?? ""
    let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }.map(String.init) ?? "VmRSS: ?"
    for _ in 0..<20 { try await runTrue(processes) }  // warm up
    var times: [Double] = []
    for _ in 0..<iterations {
      let start = clock.now
      try await runTrue(processes)
      times.append(milliseconds(clock.now - start))
    }
    return (times, rss)
  }
  for _ in 0..<20 { spawnTrue() }
  var direct: [Double] = []
  for _ in 0..<iterations {
    let start = clock.now
    spawnTrue()
    direct.append(milliseconds(clock.now - start))
  }
  let a = percentile(agentTimes, 0.5)
  let d = percentile(direct, 0.5)
  print(
    "agent idle RSS: \(rss.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) (after one call, 1 s idle)")
  print(
    String(
      format: "exec /bin/true through the agent: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms (n=%d)", a,
      percentile(agentTimes, 0.9), percentile(agentTimes, 0.99), iterations))
  print(
    String(
      format: "posix_spawn /bin/true directly:   p50 %.3f ms, p90 %.3f ms, p99 %.3f ms (n=%d)", d,
      percentile(direct, 0.9), percentile(direct, 0.99), iterations))
  print(String(format: "ratio: %.2f", a / d))

default:
  FileHandle.standardError.write(Data("unknown command \(arguments[0])\n".utf8))
  exit(2)
}
