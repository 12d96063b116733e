import CoveTestSupport
import Foundation
import Testing

/// The `cove` executable, as a user runs it.
@Suite("cove run, end to end", .serialized, .timeLimit(.minutes(10)))
struct CLITests {
  static var binary: String {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidate = beside.appendingPathComponent("cove").path
    return FileManager.default.isExecutableFile(atPath: candidate)
      ? candidate : TestGuest.packageRoot + "/.build/debug/cove"
  }

  /// Starts `cove ARGS` with the test home and its own run directory.
  static func start(_ arguments: [String], runDirectory: String) throws -> (Process, Pipe, Pipe) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["COVE_HOME"] = TestGuest.home.root
    environment["COVE_AGENT"] = TestGuest.agent
    environment["COVE_RUN_DIR"] = runDirectory
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    return (process, out, err)
  }

  @Test("output streams separately and cove exits with the command's code")
  func runCommand() async throws {
    _ = try await TestGuest.configuration()  // kernel and image ready
    let runDirectory = "/tmp/cove-cli-\(UUID().uuidString.prefix(6))"
    let (process, out, err) = try Self.start(
      [
        "run", "--image", "busybox", "--no-network", "-e", "NAME=cove", "-w", "/tmp", "--",
        "sh", "-c", "echo hello $NAME from $(pwd); echo oops >&2; exit 5",
      ],
      runDirectory: runDirectory)
    let ended = await process.finish(output: out, error: err)
    #expect(ended.standardOutput == "hello cove from /tmp\n")
    #expect(ended.standardError.contains("oops"))
    #expect(ended.status == 5)
    #expect(!FileManager.default.fileExists(atPath: runDirectory))
  }

  @Test("Ctrl-C stops the command and the VM, and leaves nothing behind")
  func interrupt() async throws {
    _ = try await TestGuest.configuration()
    let runDirectory = "/tmp/cove-cli-\(UUID().uuidString.prefix(6))"
    let (process, out, _) = try Self.start(
      ["run", "--image", "busybox", "--no-network", "--", "sh", "-c", "echo ready; sleep 600"],
      runDirectory: runDirectory)
    // Wait for the command to be running in the guest.
    let first = await offThePool { out.fileHandleForReading.availableData }
    #expect(String(decoding: first, as: UTF8.self) == "ready\n")
    let qemuPIDs = try FileManager.default.contentsOfDirectory(atPath: runDirectory).compactMap { vm in
      (try? String(contentsOfFile: "\(runDirectory)/\(vm)/qemu.pid", encoding: .utf8))
        .flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
    #expect(qemuPIDs.count == 1)
    kill(process.processIdentifier, SIGINT)
    await process.exited()
    #expect(process.terminationStatus == 130)
    #expect(!FileManager.default.fileExists(atPath: runDirectory))
    for pid in qemuPIDs { #expect(kill(pid, 0) != 0 || isZombie(pid)) }
  }

  @Test("a missing image or a bad option is a clear error, with nothing started")
  func badInput() async throws {
    _ = try await TestGuest.configuration()
    let runDirectory = "/tmp/cove-cli-\(UUID().uuidString.prefix(6))"
    let (process, _, err) = try Self.start(["run", "--image", "nope", "--", "true"], runDirectory: runDirectory)
    let ended = await process.finish(output: nil, error: err)
    #expect(ended.status == 125)
    #expect(ended.standardError.contains("no image named nope"))
    #expect(!FileManager.default.fileExists(atPath: runDirectory))

    let (noCommand, _, noCommandErr) = try Self.start(["run", "--image", "busybox"], runDirectory: runDirectory)
    let refused = await noCommand.finish(output: nil, error: noCommandErr)
    #expect(refused.status != 0)
    #expect(refused.standardError.contains("give a command to run"))
  }
}
