import CoveTestSupport
import Foundation
import Testing

@testable import CoveMachine

/// Waiting for a process's end on its pidfd, which the machine layer uses
/// instead of polling /proc.
@Suite("waiting for a process to exit")
struct ProcessExitTests {
  @Test("a live process is waited for until the limit; its end is seen; a pid with no process counts as ended")
  func exitIsSeen() async throws {
    let sleeper = Process()
    sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
    sleeper.arguments = ["300"]
    try sleeper.run()
    defer { if sleeper.isRunning { sleeper.terminate() } }
    let pid = sleeper.processIdentifier

    #expect(await ProcessExit.wait(for: pid, within: .milliseconds(200)) == false)
    // Started beside the kill: the end is seen as an event, or (when the
    // wait starts late) as no process to wait for.
    let waiting = Task { await ProcessExit.wait(for: pid, within: .seconds(60)) }
    kill(pid, SIGKILL)
    #expect(await waiting.value == true)
    await sleeper.exited()
    #expect(await ProcessExit.wait(for: pid, within: .seconds(60)) == true)
  }
}
