import CoveAgentProto
import CoveMachine
import Foundation
import GRPCCore

/// Cove's own agent, through the machine layer's ``AgentConnection``
/// (gRPC over the virtio-serial port).
struct CoveAgentPeer: Peer {
  let name = "cove-agent"
  let agent: AgentConnection
  /// Bytes per write message (the agent accepts messages up to 4 MiB).
  var chunkBytes = 1 << 20
  var timeout: Duration = .seconds(120)

  private var options: CallOptions {
    var options = CallOptions.defaults
    options.timeout = timeout
    return options
  }

  func runTrue() async throws {
    let exit = try await agent.processes.start(.with { $0.argv = ["/bin/true"] }, options: options) { response in
      var exit: Cove_Agent_V1_ProcessEvent.Exited?
      for try await event in response.messages {
        if case .exited(let exited) = event.event { exit = exited }
      }
      return exit
    }
    guard let exit, case .code(0) = exit.status else {
      throw BenchError.unexpected("cove-agent: /bin/true ended with \(String(describing: exit))")
    }
  }

  func write(_ data: Data, to path: String) async throws {
    let chunk = chunkBytes
    let response = try await agent.files.write(options: options) { writer in
      try await writer.write(.with { $0.header = .with { $0.path = path } })
      var offset = data.startIndex
      while offset < data.endIndex {
        let end = min(offset + chunk, data.endIndex)
        try await writer.write(.with { $0.data = data[offset..<end] })
        offset = end
      }
      try await writer.write(.with { $0.finish = true })
    }
    guard response.bytesWritten == UInt64(data.count) else {
      throw BenchError.unexpected("cove-agent wrote \(response.bytesWritten) of \(data.count) bytes")
    }
  }

  func read(_ path: String) async throws -> Data {
    try await agent.files.read(.with { $0.path = path }, options: options) { response in
      var data = Data()
      for try await message in response.messages { data.append(message.data) }
      return data
    }
  }

  /// Starts a long-running program in the background and returns its pid.
  func startInBackground(_ argv: [String], tag: String) async throws -> UInt32 {
    let request = Cove_Agent_V1_StartRequest.with {
      $0.argv = argv
      $0.tag = tag
      $0.background = true
    }
    let pid = try await agent.processes.start(request, options: options) { response -> UInt32? in
      for try await event in response.messages {
        if case .started(let started) = event.event { return started.pid }
      }
      return nil
    }
    guard let pid else { throw BenchError.setup("\(argv[0]) did not start") }
    return pid
  }

  /// Runs a command to its end; throws with its output unless it exits 0.
  func run(_ argv: [String]) async throws -> String {
    let (code, output) = try await agent.processes.start(.with { $0.argv = argv }, options: options) { response in
      var output = Data()
      var code: Int32 = -1
      for try await event in response.messages {
        switch event.event {
        case .stdout(let data), .stderr(let data): output.append(data)
        case .exited(let exited): if case .code(let value) = exited.status { code = value }
        default: break
        }
      }
      return (code, String(decoding: output, as: UTF8.self))
    }
    guard code == 0 else { throw BenchError.setup("\(argv.joined(separator: " ")) exited \(code): \(output)") }
    return output
  }

  /// The resident set of a guest process in KiB, from /proc/PID/status.
  func residentKiB(pid: UInt32) async throws -> Int {
    let status = String(decoding: try await read("/proc/\(pid)/status"), as: UTF8.self)
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
      let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
    else { throw BenchError.unexpected("no VmRSS for pid \(pid)") }
    return kib
  }
}
