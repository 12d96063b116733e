import CoveImages
import Testing

@testable import CoveMachine

/// The QEMU command line's memory settings, without starting QEMU, and the
/// environment QEMU is started with.
@Suite("QEMU command line")
struct QEMUCommandLineTests {
  static func configuration(_ accelerator: Accelerator) -> MachineConfiguration {
    let kernel = GuestKernel(
      release: "test", source: "test", vmlinuz: "/k/vmlinuz", vmlinuzSHA256: "", modules: [])
    var configuration = MachineConfiguration(kernel: kernel, initramfs: "/k/initrd.cpio", rootImage: "/k/root.ext4")
    configuration.accelerator = accelerator
    return configuration
  }

  @Test("a restored VM (clone or resume) is given no kernel, initramfs or kernel arguments; a booted one is")
  func restoreHasNoKernel() {
    let directory = VMDirectory(path: "/tmp/cove-x/abc")
    var configuration = Self.configuration(.tcg)
    let booted = QEMUCommandLine(configuration: configuration, directory: directory).arguments
    #expect(booted.contains("-kernel") && booted.contains("-initrd") && booted.contains("-append"))
    // A booted guest starts stopped, for QMP to be listening before it runs.
    #expect(booted.contains("-S") && !booted.contains("-incoming"))
    for takesOver in [false, true] {
      configuration.restore = MachineSnapshot(directory: "/tmp/cove-x/snap", memoryMiB: 256, cpus: 1)
      configuration.restoreTakesOver = takesOver
      let restored = QEMUCommandLine(configuration: configuration, directory: directory).arguments
      #expect(!restored.contains("-kernel") && !restored.contains("-initrd") && !restored.contains("-append"))
      #expect(restored.contains("-incoming") && !restored.contains("-S"))
    }
  }

  @Test("TCG gets a bounded translation cache; KVM has none to bound")
  func translationCache() {
    let directory = VMDirectory(path: "/tmp/cove-x/abc")
    let tcg = QEMUCommandLine(configuration: Self.configuration(.tcg), directory: directory).arguments
    let accel = tcg.firstIndex(of: "-accel").map { tcg[$0 + 1] }
    #expect(accel == "tcg,tb-size=\(QEMUCommandLine.translationCacheMiB)")
    #expect(QEMUCommandLine.defaultTranslationCacheMiB < 1024)
    let kvm = QEMUCommandLine(configuration: Self.configuration(.kvm), directory: directory).arguments
    #expect(kvm.firstIndex(of: "-accel").map { kvm[$0 + 1] } == "kvm")
  }

  @Test("QEMU's heap settings are added to the environment unless the host set them already")
  func environment() {
    #expect(QEMUCommandLine.environment(over: [:]) == ["G_SLICE": "always-malloc", "MALLOC_ARENA_MAX": "1"])
    #expect(QEMUCommandLine.environment(over: ["MALLOC_ARENA_MAX": "4"]) == ["G_SLICE": "always-malloc"])
  }

  @Test("under TCG QEMU runs without transparent huge pages, under KVM with them")
  func hugePages() async throws {
    #expect(!QEMUCommandLine.transparentHugePages(.tcg))
    #expect(QEMUCommandLine.transparentHugePages(.kvm))
    // The kernel reports the setting a process runs with in its status.
    let check = "grep -q '^THP_enabled:[[:space:]]*0$' /proc/self/status"
    try await QEMUMachine.launchQEMU("/bin/sh", ["-c", check], environment: [:], hugePages: false)
  }

  @Test("QEMU is started with the environment added to Cove's own; a failure carries what it printed")
  func launchPassesEnvironment() async throws {
    let environment = QEMUCommandLine.environment(over: [:])
    let check = #"test "$G_SLICE" = always-malloc && test "$MALLOC_ARENA_MAX" = 1 && test -n "$PATH""#
    try await QEMUMachine.launchQEMU("/bin/sh", ["-c", check], environment: environment)
    await #expect(throws: MachineError.self) {
      try await QEMUMachine.launchQEMU("/bin/sh", ["-c", check], environment: [:])
    }
    do {
      try await QEMUMachine.launchQEMU("/bin/sh", ["-c", "echo no such machine >&2; exit 1"], environment: [:])
      Issue.record("a failing QEMU was not reported")
    } catch MachineError.qemuFailed(let output) {
      #expect(output == "no such machine")
    }
  }
}
