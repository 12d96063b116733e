import ArgumentParser
import CoveImages
import CoveMachine
import Foundation

extension Cove {
  struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Check this host for what Cove needs, and say how to fix what is missing.",
      discussion: """
        One line per check: ok, warn (works, but slower, later or without the tests) or fail \
        (`cove run` and `cove serve` refuse to start), with the command that fixes a problem. \
        Exits 1 when a check fails.
        """)

    @Option(help: "The image to check (the one `cove run` boots by default).") var image = "debian"
    @Option(help: "Accelerator to check: kvm or tcg (default: the one Cove picks).") var accel: String?

    func validate() throws {
      if let accel, Accelerator(rawValue: accel) == nil { throw ValidationError("--accel is kvm or tcg") }
    }

    func run() async throws {
      let check = HostCheck.cli(
        home: CoveHome(), runDirectory: MachineConfiguration.defaultRunDirectory, image: image, accel: accel)
      let findings = await check.findings(for: .doctor)
      for finding in findings { print(finding) }
      if findings.contains(where: { $0.level == .fail }) { Foundation.exit(1) }
    }
  }
}

extension HostCheck {
  /// The checks as a `cove` command sees the host: its accelerator choice
  /// (`--accel`, `COVE_ACCEL`, or the CPU's) and its way of finding the agent.
  static func cli(
    home: CoveHome, runDirectory: String, image: String, accel: String?, kernel: String? = nil
  ) -> HostCheck {
    let environment = ProcessInfo.processInfo.environment
    let chosen = accel.flatMap(Accelerator.init(rawValue:)) ?? Accelerator.detect(environment: environment)
    var check = HostCheck(home: home, runDirectory: runDirectory, accelerator: chosen.rawValue) {
      try GuestAssets.locateAgent(home: home)
    }
    check.acceleratorForced = accel != nil || environment["COVE_ACCEL"].flatMap(Accelerator.init(rawValue:)) != nil
    check.image = image
    check.customKernel = kernel
    return check
  }

  /// Ends the process with `code` and the failing checks' lines when the
  /// host cannot do what `purpose` needs, before anything is started.
  func requireReady(for purpose: Purpose, code: Int32) async {
    let fatal = await fatal(for: purpose)
    if !fatal.isEmpty { fail(HostNotReady(findings: fatal), code: code) }
  }
}
