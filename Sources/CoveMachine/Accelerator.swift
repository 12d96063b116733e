import Foundation

/// How QEMU runs guest code: KVM where the CPU offers hardware
/// virtualization, TCG (emulation) otherwise. `COVE_ACCEL=kvm|tcg` overrides.
public enum Accelerator: String, Sendable, CaseIterable {
  case kvm
  case tcg

  public static func detect(
    environment: [String: String] = ProcessInfo.processInfo.environment,
    cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
    kvmUsable: Bool = access("/dev/kvm", R_OK | W_OK) == 0
  ) -> Accelerator {
    if let forced = environment["COVE_ACCEL"].flatMap(Accelerator.init(rawValue:)) { return forced }
    // /dev/kvm alone is not enough: some hosts offer it without vmx/svm
    // (PVM), and an ordinary guest kernel hangs there.
    let flags = (cpuinfo ?? "").split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
    let hardware = flags.split(separator: " ").contains { $0 == "vmx" || $0 == "svm" }
    return hardware && kvmUsable ? .kvm : .tcg
  }
}
