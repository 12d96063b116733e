import CoveAgentProto

/// A process that ran to its end: how it ended and what it printed, within
/// the bounds the caller set.
struct FinishedProcess: Sendable {
  var status: ExitStatus
  var timedOut = false
  /// The first bytes of stdout.
  var stdout: [UInt8] = []
  /// The last bytes of stderr.
  var stderrTail: [UInt8] = []
}

extension ProcessSupervisor {
  /// Runs a command to its end with `input` on its stdin, keeping the first
  /// `stdoutLimit` bytes of its stdout and the last `stderrLimit` bytes of
  /// its stderr. Output beyond that is read and dropped, so the command
  /// never blocks on a full pipe. A cancelled caller still waits for the
  /// exit (the command's timeout bounds that), so the result is always whole.
  func runToEnd(
    _ request: Cove_Agent_V1_StartRequest, input: [UInt8], stdoutLimit: Int, stderrLimit: Int
  ) async throws(AgentError) -> FinishedProcess {
    var request = request
    request.stdin = true
    let queue = EventQueue(capacity: 16)
    let process = try await start(request, owner: queue)
    return await withTaskGroup(of: Void.self) { group in
      // A command that never reads its stdin makes this write fail; that is its choice.
      group.addTask { try? await process.writeStdin(input, close: true) }
      var stdout: [UInt8] = []
      var stderr: [UInt8] = []
      var timedOut = false
      while let event = await queue.next() {
        switch event.event {
        case .stdout(let data):
          stdout.append(contentsOf: data.prefix(max(0, stdoutLimit - stdout.count)))
        case .stderr(let data):
          stderr.append(contentsOf: data)
          if stderr.count > 2 * stderrLimit { stderr.removeFirst(stderr.count - stderrLimit) }
        case .exited(let exited):
          timedOut = exited.timedOut
        case .started, nil:
          break
        }
      }
      let status = await process.exitStatus()
      return FinishedProcess(
        status: status, timedOut: timedOut, stdout: stdout, stderrTail: Array(stderr.suffix(stderrLimit)))
    }
  }
}
