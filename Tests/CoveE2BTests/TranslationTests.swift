import CoveE2BProto
import CoveMachine
import CoveRules
import Foundation
import Testing

@testable import CoveE2B

@Suite("envd translation")
struct TranslationTests {
  @Test("an end event says the shell's code, whether it exited, and the status as envd words it")
  func endEvents() {
    let exited = ProcessTranslation.end(.exited(3), timedOut: false)
    #expect(exited.exitCode == 3 && exited.exited && exited.status == "exit status 3" && !exited.hasError)
    let killed = ProcessTranslation.end(.signaled(9), timedOut: true)
    #expect(killed.exitCode == 137 && !killed.exited && killed.status == "signal: killed" && killed.hasError)
  }

  @Test("a terminal's output is pty data; pipes keep stdout and stderr apart")
  func output() throws {
    let piped = try #require(ProcessTranslation.event(.stderr(Data("e".utf8)), pty: false))
    #expect(piped.data.stderr == Data("e".utf8))
    let terminal = try #require(ProcessTranslation.event(.stdout(Data("t".utf8)), pty: true))
    #expect(terminal.data.pty == Data("t".utf8))
  }

  @Test("a StartRequest becomes a background process; stdin is open unless the SDK said false")
  func spec() throws {
    var request = Process_StartRequest.with {
      $0.process.cmd = "/bin/bash"
      $0.process.args = ["-l", "-c", "echo hi"]
      $0.process.envs = ["A": "1"]
    }
    var spec = try ProcessTranslation.spec(request, user: "root")
    #expect(spec.argv == ["/bin/bash", "-l", "-c", "echo hi"] && spec.env == ["A": "1"] && spec.user == "root")
    #expect(spec.background && spec.stdin && spec.cwd == nil && spec.terminal == nil)
    request.stdin = false
    request.pty.size = .with {
      $0.rows = 24
      $0.cols = 80
    }
    spec = try ProcessTranslation.spec(request, user: nil)
    #expect(!spec.stdin && spec.terminal == TerminalSize(rows: 24, cols: 80))
    request.pty.size.rows = 0
    #expect(throws: ConnectError.self) { try ProcessTranslation.spec(request, user: nil) }
  }

  @Test("entries carry ls-style permissions; watch events are named under the watched directory")
  func files() {
    let info = FileInfo(
      path: "/tmp/d", name: "d", kind: .directory, size: 4096, mode: 0o755, modified: Date(timeIntervalSince1970: 0))
    let entry = FileTranslation.entry(info)
    #expect(entry.permissions == "drwxr-xr-x" && entry.type == .directory && entry.mode == 0o755)
    let change = FileChange(kind: .created, path: "/tmp/d/a/b.txt", isDirectory: false)
    #expect(FileTranslation.event(change, root: "/tmp/d", recursive: false) == nil)
    #expect(FileTranslation.event(change, root: "/tmp/d", recursive: true)?.name == "a/b.txt")
  }

  @Test("relative paths start at the user's home")
  func paths() {
    #expect(EnvdCall.resolve("a.txt", user: nil) == "/root/a.txt")
    #expect(EnvdCall.resolve("/etc", user: "user") == "/etc")
    #expect(EnvdCall.resolve("~/x", user: "root") == "/root/x")
    #expect(EnvdCall.resolve("a.txt", user: "user") == "/home/user/a.txt")
  }
}
