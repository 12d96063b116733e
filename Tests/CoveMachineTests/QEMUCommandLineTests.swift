import CoveImages
import CoveMachine
import Testing

/// The QEMU command line's memory settings, without starting QEMU.
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
    for takesOver in [false, true] {
      configuration.restore = MachineSnapshot(directory: "/tmp/cove-x/snap", memoryMiB: 256, cpus: 1)
      configuration.restoreTakesOver = takesOver
      let restored = QEMUCommandLine(configuration: configuration, directory: directory).arguments
      #expect(!restored.contains("-kernel") && !restored.contains("-initrd") && !restored.contains("-append"))
      #expect(restored.contains("-incoming"))
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
}
