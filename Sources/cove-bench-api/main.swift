// bench/api: the HTTP API against the agent directly, in one run.
//   - the round trip of `true`: POST /v1/sandboxes/{id}/exec on a real
//     `cove serve` vs Process.Start through the agent of a VM this program
//     boots itself (the same kernel, image and size);
//   - 100 MiB (or FILE_MIB) uploaded and downloaded through the API vs
//     written and read through the agent's Files service, sha256 checked.
// Prints medians, p90 and runs, and the ratios API/direct.
import CoveAgentProto
import CoveClient
import CoveImages
import CoveMachine
import Crypto
import Foundation
import GRPCCore

struct Options {
  var iterations = 200
  var fileMiB = 100
  var fileIterations = 3
  var cove = ""

  init(_ arguments: [String]) {
    var rest = arguments.dropFirst()
    while let argument = rest.popFirst() {
      switch argument {
      case "--iterations": iterations = Int(rest.popFirst() ?? "") ?? iterations
      case "--file-mib": fileMiB = Int(rest.popFirst() ?? "") ?? fileMiB
      case "--file-iterations": fileIterations = Int(rest.popFirst() ?? "") ?? fileIterations
      case "--cove": cove = rest.popFirst() ?? cove
      default: break
      }
    }
  }
}

struct Samples {
  var name: String
  var values: [Double] = []

  func percentile(_ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
  }
  var median: Double { percentile(0.5) }
}

func measure(_ body: () async throws -> Void) async throws -> Double {
  let clock = ContinuousClock()
  let start = clock.now
  try await body()
  let elapsed = clock.now - start
  return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
}

func report(_ samples: Samples, unit: String = "ms") {
  print(
    String(
      format: "%@: p50 %.2f %@, p90 %.2f %@ (%d runs)", samples.name, samples.median, unit, samples.percentile(0.9),
      unit, samples.values.count))
}

func sha256(_ path: String) throws -> String {
  let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
  defer { try? handle.close() }
  var hasher = SHA256()
  while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
  return hasher.finalize().map { String(format: "%02x", $0) }.joined()
}

/// Starts `cove serve` on a free port with a fresh data directory and key.
func startDaemon(cove: String, data: String) throws -> (Process, CoveClient) {
  let keys = Process()
  keys.executableURL = URL(fileURLWithPath: cove)
  keys.arguments = ["keys", "create", "--data", data]
  let keyOutput = Pipe()
  keys.standardOutput = keyOutput
  try keys.run()
  let key =
    String(decoding: keyOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    .split(separator: "\n").last.map(String.init) ?? ""
  keys.waitUntilExit()
  let serve = Process()
  serve.executableURL = URL(fileURLWithPath: cove)
  serve.arguments = ["serve", "--listen", "127.0.0.1:0", "--data", data, "--default-image", "busybox"]
  let out = Pipe()
  serve.standardOutput = out
  try serve.run()
  var line = Data()
  while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
    line.append(byte)
  }
  let text = String(decoding: line, as: UTF8.self)
  guard let range = text.range(of: "http://") else { throw BenchError("cove serve did not start: \(text)") }
  return (serve, CoveClient(baseURL: String(text[range.lowerBound...]), key: key))
}

struct BenchError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

let options = Options(CommandLine.arguments)
let data = "/tmp/cove-bench-api-\(getpid())"
let file = data + "/payload.bin"
try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: data) }
_ = FileManager.default.createFile(atPath: file, contents: nil)
let writer = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
let random = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
for _ in 0..<options.fileMiB { try writer.write(contentsOf: try random.read(upToCount: 1 << 20) ?? Data()) }
try writer.close()
try random.close()
let expected = try sha256(file)

// The direct path: a VM of our own, the agent over its socket.
var assets = GuestAssets()
var configuration = try await assets.configuration(image: "busybox")
configuration.runDirectory = "/tmp/cove-bench-api-vm-\(getpid())"
configuration.memoryMiB = 512
let machine = QEMUMachine(configuration: configuration)
let agent = try await machine.boot()
let (serve, client) = try startDaemon(cove: options.cove, data: data + "/serve")
defer {
  serve.terminate()
  serve.waitUntilExit()
}
do {
  let sandbox = try await client.createSandbox(CreateSandbox(image: "busybox", memoryMiB: 512, timeout: 3600))
  let truth = Cove_Agent_V1_StartRequest.with { $0.argv = ["true"] }
  var direct = Samples(name: "exec true, agent directly")
  var api = Samples(name: "exec true, HTTP API")
  for _ in 0..<10 {  // warm both paths
    _ = try await agent.processes.start(truth) { for try await _ in $0.messages {} }
    _ = try await client.exec(sandbox.id, Command(["true"]))
  }
  for _ in 0..<options.iterations {
    direct.values.append(
      try await measure { _ = try await agent.processes.start(truth) { for try await _ in $0.messages {} } })
    api.values.append(
      try await measure {
        let result = try await client.exec(sandbox.id, Command(["true"]))
        guard result.exitCode == 0 else { throw BenchError("true exited \(result.exitCode)") }
      })
  }
  report(direct)
  report(api)
  print(String(format: "exec ratio (API/direct, p50): %.2f", api.median / direct.median))

  let megabytes = Double(options.fileMiB)
  var directUp = Samples(name: "upload \(options.fileMiB) MiB, agent directly")
  var directDown = Samples(name: "download \(options.fileMiB) MiB, agent directly")
  var apiUp = Samples(name: "upload \(options.fileMiB) MiB, HTTP API")
  var apiDown = Samples(name: "download \(options.fileMiB) MiB, HTTP API")
  for round in 0..<options.fileIterations {
    let guestPath = "/tmp/payload-\(round).bin"
    let up = try await measure {
      _ = try await agent.files.write(requestProducer: { writer in
        try await writer.write(.with { $0.header = .with { $0.path = guestPath } })
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
        defer { try? handle.close() }
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
          try await writer.write(.with { $0.data = chunk })
        }
        try await writer.write(.with { $0.finish = true })
      })
    }
    directUp.values.append(megabytes / (up / 1000))
    let back = data + "/direct.back"
    _ = FileManager.default.createFile(atPath: back, contents: nil)
    let down = try await measure {
      let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: back))
      defer { try? handle.close() }
      try await agent.files.read(.with { $0.path = guestPath }) { response in
        for try await chunk in response.messages { try handle.write(contentsOf: chunk.data) }
      }
    }
    guard try sha256(back) == expected else { throw BenchError("the direct download differs") }
    directDown.values.append(megabytes / (down / 1000))
    _ = try await agent.files.remove(.with { $0.path = guestPath })

    let apiUpload = try await measure { try await client.upload(sandbox.id, from: file, to: guestPath) }
    apiUp.values.append(megabytes / (apiUpload / 1000))
    let apiBack = data + "/api.back"
    let apiDownload = try await measure { try await client.download(sandbox.id, from: guestPath, to: apiBack) }
    guard try sha256(apiBack) == expected else { throw BenchError("the API download differs") }
    apiDown.values.append(megabytes / (apiDownload / 1000))
    _ = try await client.exec(sandbox.id, Command(["rm", guestPath]))
  }
  for samples in [directUp, apiUp, directDown, apiDown] { report(samples, unit: "MiB/s") }
  print(String(format: "upload ratio (API/direct throughput, p50): %.2f", apiUp.median / directUp.median))
  print(String(format: "download ratio (API/direct throughput, p50): %.2f", apiDown.median / directDown.median))
  try await client.deleteSandbox(sandbox.id)
} catch {
  print("bench/api failed: \(error)")
  await machine.stop()
  exit(1)
}
await machine.stop()
