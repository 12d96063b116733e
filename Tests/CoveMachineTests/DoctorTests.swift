import CoveImages
import CoveMachine
import CoveTestSupport
import Foundation
import Testing

/// `cove doctor`, and `cove run` and `cove serve` refusing a host that
/// lacks what they need. No guest boots here.
@Suite("cove doctor and the host checks at start", .timeLimit(.minutes(3)))
struct DoctorTests {
  /// Runs `argv` with the test home and agent; returns the exit status and
  /// the standard output and error.
  static func run(_ argv: [String], environment extra: [String: String] = [:]) async throws -> (Int32, String, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: argv[0])
    process.arguments = Array(argv.dropFirst())
    var environment = ProcessInfo.processInfo.environment
    environment["COVE_HOME"] = TestGuest.home.root
    environment["COVE_AGENT"] = TestGuest.agent
    environment["COVE_RUN_DIR"] = "/tmp/cove-doctor-\(getpid())"
    process.environment = environment.merging(extra) { $1 }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let ended = await process.finish(output: out, error: err)
    return (ended.status, ended.standardOutput, ended.standardError)
  }

  /// The check name of each line, keyed to the line.
  static func lines(_ output: String) -> [String: String] {
    var lines: [String: String] = [:]
    for line in output.split(separator: "\n") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      if fields.count >= 2 { lines[String(fields[1])] = String(line) }
    }
    return lines
  }

  @Test("on this host every check prints one line, QEMU and mke2fs are found, and it exits 0")
  func thisHost() async throws {
    let (status, stdout, stderr) = try await Self.run([CLITests.binary, "doctor", "--image", "busybox"])
    #expect(status == 0, "\(stdout)\(stderr)")
    let lines = Self.lines(stdout)
    #expect(
      Set(lines.keys)
        == [
          "qemu", "qemu-img", "mke2fs", "accelerator", "shm", "disk", "run-dir", "kernel", "agent", "image",
          "image-tools", "test-tools",
        ])
    for line in stdout.split(separator: "\n") {
      #expect(line.hasPrefix("ok ") || line.hasPrefix("warn ") || line.hasPrefix("fail "), "\(line)")
    }
    #expect(lines["qemu"]?.hasPrefix("ok ") == true && lines["qemu"]?.contains("QEMU emulator version") == true)
    #expect(lines["mke2fs"]?.hasPrefix("ok ") == true && lines["mke2fs"]?.contains("with -d") == true)
    #expect(lines["agent"]?.hasSuffix(TestGuest.agent) == true)
    // The line names the accelerator Cove picks, and why when it is TCG.
    if Accelerator.detect() == .kvm {
      #expect(lines["accelerator"]?.hasPrefix("ok ") == true && lines["accelerator"]?.contains(" kvm (") == true)
    } else {
      #expect(
        lines["accelerator"]?.hasPrefix("warn ") == true && lines["accelerator"]?.contains(" tcg: ") == true
          && lines["accelerator"]?.contains("because") == true)
    }
  }

  /// Whether this process may make a mount namespace (root with CAP_SYS_ADMIN).
  static let canUnshare: Bool = {
    let probe = Process()
    probe.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
    probe.arguments = ["--mount", "true"]
    guard getuid() == 0, (try? probe.run()) != nil else { return false }
    probe.waitUntilExit()
    return probe.terminationStatus == 0
  }()

  /// Runs `cove ARGS` in a private mount namespace in which QEMU and mke2fs
  /// are /dev/null (present, not executable): missing, as on a host where
  /// they were never installed. The rest of the machine sees nothing.
  static func withoutQEMU(_ arguments: [String]) async throws -> (Int32, String, String) {
    let hidden = try ["qemu-system-x86_64", "mke2fs"].map {
      URL(fileURLWithPath: try HostCommand.locate($0)).resolvingSymlinksInPath().path
    }
    let mounts = hidden.map { "mount --bind /dev/null \($0)" }.joined(separator: " && ")
    return try await run(
      ["/usr/bin/unshare", "--mount", "--propagation", "private", "sh", "-c", "\(mounts) && exec \"$@\"", "sh"]
        + ["/usr/bin/timeout", "60", CLITests.binary] + arguments)
  }

  @Test("a missing QEMU and mke2fs: doctor names each with its fix and exits 1", .enabled(if: canUnshare))
  func missingTools() async throws {
    let (status, stdout, _) = try await Self.withoutQEMU(["doctor", "--image", "busybox"])
    #expect(status == 1)
    let lines = Self.lines(stdout)
    #expect(
      lines["qemu"]?.hasPrefix("fail ") == true
        && lines["qemu"]?.hasSuffix("fix: apt-get install -y qemu-system-x86") == true, "\(stdout)")
    #expect(lines["mke2fs"]?.hasSuffix("fix: apt-get install -y e2fsprogs") == true, "\(stdout)")
    #expect(lines["qemu-img"]?.hasPrefix("ok ") == true)
  }

  @Test(
    "without QEMU, cove run exits 125 and cove serve exits 1 before listening, with doctor's lines",
    .enabled(if: canUnshare))
  func refusesToStart() async throws {
    let (doctorStatus, doctor, _) = try await Self.withoutQEMU(["doctor", "--image", "busybox"])
    #expect(doctorStatus == 1)
    let qemuLine = try #require(Self.lines(doctor)["qemu"])

    let (runStatus, runOut, runErr) = try await Self.withoutQEMU(["run", "--image", "busybox", "--", "true"])
    #expect(runStatus == 125)
    #expect(runOut.isEmpty)
    #expect(runErr.contains(qemuLine), "\(runErr)")

    let data = NSTemporaryDirectory() + "cove-doctor-serve-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: data) }
    let (serveStatus, serveOut, serveErr) = try await Self.withoutQEMU([
      "serve", "--listen", "127.0.0.1:0", "--data", data, "--default-image", "busybox",
    ])
    #expect(serveStatus == 1)
    #expect(!serveOut.contains("listening"))
    #expect(serveErr.contains(qemuLine), "\(serveErr)")
  }

  /// The finding named `check` among what `purpose` checks.
  static func finding(_ name: String, of check: HostCheck, for purpose: HostCheck.Purpose = .run) async -> HostFinding?
  {
    await check.findings(for: purpose).first { $0.check == name }
  }

  @Test("the accelerator line says why guests run under TCG, and a forced KVM without /dev/kvm is fatal")
  func acceleratorReasons() async throws {
    var check = HostCheck(home: TestGuest.home, runDirectory: "/tmp/cove-x", accelerator: "tcg") { "/agent" }
    check.cpuinfo = "processor\t: 0\nflags\t\t: fpu sse2 hypervisor\n"
    check.kvmDevice = "/nonexistent/kvm"
    let noFlags = try #require(await Self.finding("accelerator", of: check))
    #expect(noFlags.level == .warn && noFlags.detail.contains("no vmx or svm"))
    check.cpuinfo = "flags\t\t: fpu vmx sse2\n"
    let noDevice = try #require(await Self.finding("accelerator", of: check))
    #expect(noDevice.level == .warn && noDevice.detail.contains("/nonexistent/kvm is missing"))
    #expect(noDevice.fix?.contains("modprobe kvm_intel") == true)
    check.accelerator = "kvm"
    check.acceleratorForced = true
    #expect(await check.fatal(for: .run).map(\.check).contains("accelerator"))
  }

  @Test("a run directory too long for Unix sockets is fatal, with the fix")
  func longRunDirectory() async throws {
    let long = "/tmp/" + String(repeating: "d", count: 90)
    let check = HostCheck(home: TestGuest.home, runDirectory: long, accelerator: "tcg") { "/agent" }
    let finding = try #require(await Self.finding("run-dir", of: check))
    #expect(finding.level == .fail && finding.detail.contains("too long"))
    #expect(finding.fix == "export COVE_RUN_DIR=/tmp/cove-\(getuid())")
    let short = HostCheck(home: TestGuest.home, runDirectory: "/tmp/cove-0", accelerator: "tcg") { "/agent" }
    #expect(await Self.finding("run-dir", of: short)?.level == .ok)
  }
}
