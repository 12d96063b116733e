import CoveAgentProto
import CoveRules
import FoundationEssentials
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Glibc

// cove-agent-client exec unix:PATH CMD ARGS...   runs a command, streams its output, exits with its code
// cove-agent-client bench unix:PATH AGENT_PID N   prints exec round-trip figures against posix_spawn

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 3, arguments[1].hasPrefix("unix:") else {
  writeAll(2, Data("usage: cove-agent-client exec|bench unix:PATH ...\n".utf8))
  exit(2)
}
let socketPath = String(arguments[1].dropFirst(5))

/// Writes all of `data` to a descriptor (FileHandle would pull in all of
/// Foundation, which this client is built without).
@Sendable func writeAll(_ fd: Int32, _ data: Data) {
  data.withUnsafeBytes { buffer in
    var offset = 0
    while offset < buffer.count {
      let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
      if written <= 0 { return }
      offset += written
    }
  }
}

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

/// `value` with `digits` decimals (String(format:) needs all of Foundation).
func fixed(_ value: Double, digits: Int = 3) -> String {
  var scale = 1.0
  for _ in 0..<digits { scale *= 10 }
  let scaled = Int((value * scale).rounded())
  let fraction = String(abs(scaled) % Int(scale))
  return "\(scaled / Int(scale)).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
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

/// VmRSS of a process, as /proc gives it ("20776 kB").
@Sendable func residentSet(of pid: Int32) -> String {
  let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
  let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? "VmRSS: ?"
  return line.dropFirst("VmRSS:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
}

/// Writes a file of `mebibytes` through the agent in 64 KiB chunks, reads it
/// back, and removes it; the milliseconds each way.
@Sendable func moveFile(_ files: Cove_Agent_V1_Files.Client<HTTP2ClientTransport.Posix>, mebibytes: Int) async throws
  -> (write: Double, read: Double)
{
  let clock = ContinuousClock()
  let start = clock.now
  let path = "/tmp/cove-agent-bench-\(getpid())"
  let chunk = Data(repeating: 0x5a, count: 65536)
  _ = try await files.write(
    requestProducer: { writer in
      try await writer.write(.with { $0.header = .with { $0.path = path } })
      for _ in 0..<(mebibytes * 16) { try await writer.write(.with { $0.data = chunk }) }
      try await writer.write(.with { $0.finish = true })
    })
  let written = clock.now
  let read = try await files.read(.with { $0.path = path }) { response in
    var count = 0
    for try await part in response.messages { count += part.data.count }
    return count
  }
  let done = clock.now
  _ = try await files.remove(.with { $0.path = path })
  guard read == mebibytes << 20 else { throw CancellationError() }
  return (milliseconds(written - start), milliseconds(done - written))
}

switch arguments[0] {
case "exec":
  let argv = Array(arguments.dropFirst(2))
  let code = try await connect { client in
    try await Cove_Agent_V1_Process.Client(wrapping: client).start(.with { $0.argv = argv }) { response in
      var code: Int32 = 1
      for try await event in response.messages {
        switch event.event {
        case .stdout(let d): writeAll(1, d)
        case .stderr(let d): writeAll(2, d)
        case .exited(let e):
          switch e.status {
          case .code(let c): code = c
          case .signal(let s): code = ExitStatus.signaled(s).shellCode
          case nil: break
          }
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
  let (agentTimes, rss, rssAfterFiles, moved) = try await connect { client in
    let processes = Cove_Agent_V1_Process.Client(wrapping: client)
    _ = try await Cove_Agent_V1_System.Client(wrapping: client).health(.init())
    try await Task.sleep(for: .seconds(1))
    let rss = residentSet(of: agentPID)
    for _ in 0..<20 { try await runTrue(processes) }  // warm up
    var times: [Double] = []
    for _ in 0..<iterations {
      let start = clock.now
      try await runTrue(processes)
      times.append(milliseconds(clock.now - start))
    }
    let moved = try await moveFile(Cove_Agent_V1_Files.Client(wrapping: client), mebibytes: 64)
    try await Task.sleep(for: .seconds(1))
    return (times, rss, residentSet(of: agentPID), moved)
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
  print("agent idle RSS: \(rss) (after one call, 1 s idle)")
  let n = iterations
  print(
    "exec /bin/true through the agent: p50 \(fixed(a)) ms, p90 \(fixed(percentile(agentTimes, 0.9))) ms, "
      + "p99 \(fixed(percentile(agentTimes, 0.99))) ms (n=\(n))")
  print(
    "posix_spawn /bin/true directly:   p50 \(fixed(d)) ms, p90 \(fixed(percentile(direct, 0.9))) ms, "
      + "p99 \(fixed(percentile(direct, 0.99))) ms (n=\(n))")
  print("64 MiB through the agent: write \(Int(moved.write.rounded())) ms, read \(Int(moved.read.rounded())) ms")
  print("agent RSS after 64 MiB written and read back, 1 s idle: \(rssAfterFiles)")
  print("ratio: \(fixed(a / d, digits: 2))")

default:
  writeAll(2, Data("unknown command \(arguments[0])\n".utf8))
  exit(2)
}
