import CoveE2BProto
import CoveMachine
import CoveRules
import Foundation
import Hummingbird

extension E2BService {
  /// envd's `process.Process` over Cove's agent.
  func addProcessRoutes(to router: Router<E2BRequestContext>) {
    let keepalive = Process_StartResponse.with { $0.event.keepalive = .init() }
    ConnectRoutes.serverStream(router, "/process.Process/Start", service: self, keepalive: keepalive) {
      (request: Process_StartRequest, call, send) in
      let spec = try ProcessTranslation.spec(request, user: call.user)
      let pty = request.hasPty
      try await call.guest.start(spec) { events in
        for try await event in events {
          guard let translated = ProcessTranslation.event(event, pty: pty) else { continue }
          try await send(Process_StartResponse.with { $0.event = translated })
        }
      }
    }
    let connectKeepalive = Process_ConnectResponse.with { $0.event.keepalive = .init() }
    ConnectRoutes.serverStream(router, "/process.Process/Connect", service: self, keepalive: connectKeepalive) {
      (request: Process_ConnectRequest, call, send) in
      let process = try await Self.process(request.process, call)
      // The SDK reads the pid from the first event, as after Start.
      try await send(Process_ConnectResponse.with { $0.event.start.pid = process.pid })
      try await call.guest.attach(pid: process.pid) { events in
        for try await event in events {
          if case .started = event { continue }
          guard let translated = ProcessTranslation.event(event, pty: process.terminal) else { continue }
          try await send(Process_ConnectResponse.with { $0.event = translated })
        }
      }
    }
    ConnectRoutes.unary(router, "/process.Process/List", service: self) {
      (_: Process_ListRequest, call) -> Process_ListResponse in
      let processes = try await call.guest.listProcesses()
      return Process_ListResponse.with { response in
        response.processes = processes.map { process in
          Process_ProcessInfo.with { info in
            info.pid = process.pid
            if !process.tag.isEmpty { info.tag = process.tag }
            info.config.cmd = process.argv.first ?? ""
            info.config.args = Array(process.argv.dropFirst())
          }
        }
      }
    }
    ConnectRoutes.unary(router, "/process.Process/SendInput", service: self) {
      (request: Process_SendInputRequest, call) -> Process_SendInputResponse in
      let process = try await Self.process(request.process, call)
      try await call.guest.writeStdin(pid: process.pid, ProcessTranslation.data(request.input), close: false)
      return Process_SendInputResponse()
    }
    ConnectRoutes.clientStream(router, "/process.Process/StreamInput", service: self) {
      (messages: GuestStream<Process_StreamInputRequest>, call) -> Process_StreamInputResponse in
      var pid: UInt32?
      for try await message in messages {
        switch message.event {
        case .start(let start): pid = try await Self.process(start.process, call).pid
        case .data(let data):
          guard let pid else { throw ConnectError(.invalidArgument, "a StreamInput's first message must be its start") }
          try await call.guest.writeStdin(pid: pid, ProcessTranslation.data(data.input), close: false)
        case .keepalive, nil: continue
        }
      }
      return Process_StreamInputResponse()
    }
    ConnectRoutes.unary(router, "/process.Process/SendSignal", service: self) {
      (request: Process_SendSignalRequest, call) -> Process_SendSignalResponse in
      let signal: Int32 =
        switch request.signal {
        case .sigkill: 9
        case .sigterm: 15
        case .unspecified, .UNRECOGNIZED: throw ConnectError(.invalidArgument, "signal must be SIGTERM or SIGKILL")
        }
      let process = try await Self.process(request.process, call)
      try await call.guest.signal(pid: process.pid, signal)
      return Process_SendSignalResponse()
    }
    ConnectRoutes.unary(router, "/process.Process/CloseStdin", service: self) {
      (request: Process_CloseStdinRequest, call) -> Process_CloseStdinResponse in
      let process = try await Self.process(request.process, call)
      try await call.guest.writeStdin(pid: process.pid, Data(), close: true)
      return Process_CloseStdinResponse()
    }
    ConnectRoutes.unary(router, "/process.Process/Update", service: self) {
      (request: Process_UpdateRequest, call) -> Process_UpdateResponse in
      let process = try await Self.process(request.process, call)
      if request.hasPty {
        guard let size = TerminalSize(rows: request.pty.size.rows, cols: request.pty.size.cols) else {
          throw ConnectError(.invalidArgument, TerminalSize.rule)
        }
        try await call.guest.resize(pid: process.pid, to: size)
      }
      return Process_UpdateResponse()
    }
  }

  /// The running process a selector names (by pid or tag).
  static func process(_ selector: Process_ProcessSelector, _ call: EnvdCall) async throws -> GuestProcess {
    let processes = try await call.guest.listProcesses()
    let found: GuestProcess? =
      switch selector.selector {
      case .pid(let pid): processes.first { $0.pid == pid }
      case .tag(let tag): processes.first { $0.tag == tag }
      case nil: throw ConnectError(.invalidArgument, "a process is named by its pid or tag")
      }
    guard let found else {
      throw ConnectError(.notFound, "process \(selector.selector.map { "\($0)" } ?? "") not found")
    }
    return found
  }
}

/// Between envd's process messages and Cove's guest types.
enum ProcessTranslation {
  /// A process of E2B's StartRequest. It is started in the background:
  /// an envd process outlives the stream that started it, so the SDK can
  /// disconnect from it and connect again.
  static func spec(_ request: Process_StartRequest, user: String?) throws -> ProcessSpec {
    let config = request.process
    guard !config.cmd.isEmpty else { throw ConnectError(.invalidArgument, "process.cmd is empty") }
    var spec = ProcessSpec(argv: [config.cmd] + config.args, env: config.envs, user: user, background: true)
    if config.hasCwd, !config.cwd.isEmpty { spec.cwd = config.cwd }
    if request.hasTag { spec.tag = request.tag }
    // Absent means open, for SDKs older than the field.
    spec.stdin = request.hasStdin ? request.stdin : true
    if request.hasPty {
      guard let size = TerminalSize(rows: request.pty.size.rows, cols: request.pty.size.cols) else {
        throw ConnectError(.invalidArgument, TerminalSize.rule)
      }
      spec.terminal = size
    }
    return spec
  }

  /// The envd event of a guest event; output of a terminal is `pty` data.
  static func event(_ event: ProcessEvent, pty: Bool) -> Process_ProcessEvent? {
    Process_ProcessEvent.with { translated in
      switch event {
      case .started(let pid): translated.start.pid = pid
      case .stdout(let data):
        if pty { translated.data.pty = data } else { translated.data.stdout = data }
      case .stderr(let data):
        if pty { translated.data.pty = data } else { translated.data.stderr = data }
      case .exited(let status, let timedOut):
        translated.end = end(status, timedOut: timedOut)
      }
    }
  }

  /// envd's end event: the shell's code, whether the process exited by
  /// itself, and the status as Go's os.ProcessState prints it.
  static func end(_ status: ExitStatus, timedOut: Bool) -> Process_ProcessEvent.EndEvent {
    Process_ProcessEvent.EndEvent.with { end in
      end.exitCode = status.shellCode
      switch status {
      case .exited(let code):
        end.exited = true
        end.status = "exit status \(code)"
      case .signaled(let signal):
        end.exited = false
        end.status = "signal: \(signalName(signal))"
      }
      if timedOut { end.error = "the process was killed at its timeout" }
    }
  }

  static func signalName(_ signal: Int32) -> String {
    switch signal {
    case 1: "hangup"
    case 2: "interrupt"
    case 9: "killed"
    case 13: "broken pipe"
    case 15: "terminated"
    default: "signal \(signal)"
    }
  }

  static func data(_ input: Process_ProcessInput) throws -> Data {
    switch input.input {
    case .stdin(let data), .pty(let data): data
    case nil: throw ConnectError(.invalidArgument, "input carries neither stdin nor pty data")
    }
  }
}
