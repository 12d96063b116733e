import Foundation
import Subprocess

/// The checks themselves, one finding each.
extension HostCheck {
  func qemu(_ purpose: Purpose) async -> HostFinding {
    let path: String
    do { path = try locate(qemuBinary, "qemu-system-x86") } catch {
      return missing("qemu", program: qemuBinary, package: "qemu-system-x86", neededFor: "it runs every guest")
    }
    guard purpose == .doctor else { return HostFinding("qemu", .ok, path) }
    guard let version = await Self.output(of: path, ["--version"]), version.exitedZero else {
      return HostFinding("qemu", .fail, "\(path) does not run", fix: install("qemu-system-x86"))
    }
    let firstLine = version.text.split(separator: "\n").first.map(String.init) ?? ""
    // microvm, the only machine type Cove uses, came with QEMU 4.2.
    guard let machines = await Self.output(of: path, ["-machine", "help"]), machines.text.contains("microvm") else {
      return HostFinding(
        "qemu", .fail, "\(path) (\(firstLine)) has no microvm machine", fix: install("qemu-system-x86"))
    }
    return HostFinding("qemu", .ok, "\(path) (\(firstLine))")
  }

  func qemuImg() -> HostFinding {
    do {
      return HostFinding("qemu-img", .ok, try locate("qemu-img", "qemu-utils"))
    } catch {
      return missing("qemu-img", program: "qemu-img", package: "qemu-utils", neededFor: "each VM's disk overlay")
    }
  }

  func mke2fs(_ purpose: Purpose) async -> HostFinding {
    let path: String
    do { path = try locate("mke2fs", "e2fsprogs") } catch {
      return missing("mke2fs", program: "mke2fs", package: "e2fsprogs", neededFor: "it builds root images")
    }
    guard purpose == .doctor else { return HostFinding("mke2fs", .ok, path) }
    // Without arguments mke2fs prints its usage, which names -d where the
    // option exists (e2fsprogs 1.43 and later).
    guard let usage = await Self.output(of: path, []), usage.text.contains("-d root-directory") else {
      return HostFinding(
        "mke2fs", .fail, "\(path) cannot fill an image from a directory (-d, e2fsprogs 1.43 or later)",
        fix: install("e2fsprogs"))
    }
    return HostFinding("mke2fs", .ok, "\(path) (with -d)")
  }

  func accelerationFinding() -> HostFinding {
    let flags = (cpuinfo ?? "").split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
    let hardware = flags.split(separator: " ").contains { $0 == "vmx" || $0 == "svm" }
    let present = FileManager.default.fileExists(atPath: kvmDevice)
    let usable = access(kvmDevice, R_OK | W_OK) == 0
    let grant = "give this user access: \(sudo)usermod -aG kvm $USER (then log in again)"
    if accelerator == "kvm" {
      guard present, usable else {
        return HostFinding(
          "accelerator", .fail, "kvm was asked for, but \(kvmDevice) is " + (present ? "not accessible" : "missing"),
          fix: present ? grant : "use --accel tcg, or unset COVE_ACCEL")
      }
      guard hardware else {
        return HostFinding(
          "accelerator", .warn,
          "kvm was asked for without vmx or svm in /proc/cpuinfo; an ordinary guest kernel may hang there",
          fix: "use --accel tcg, or unset COVE_ACCEL")
      }
      return HostFinding("accelerator", .ok, "kvm (hardware virtualization, \(kvmDevice) usable)")
    }
    if acceleratorForced { return HostFinding("accelerator", .ok, "tcg (emulation), as asked") }
    let emulation = "tcg: guests run under emulation, several times slower than with KVM, because "
    guard hardware else {
      return HostFinding(
        "accelerator", .warn, emulation + "the CPU offers no vmx or svm here",
        fix: "enable VT-x or AMD-V in the firmware, or nested virtualization in the hypervisor")
    }
    guard present else {
      return HostFinding(
        "accelerator", .warn, emulation + "\(kvmDevice) is missing", fix: "\(sudo)modprobe kvm_intel (or kvm_amd)")
    }
    return HostFinding("accelerator", .warn, emulation + "\(kvmDevice) is not readable and writable", fix: grant)
  }

  func memoryFinding() -> HostFinding {
    guard access(memoryDirectory, W_OK) == 0 else {
      return HostFinding(
        "shm", .warn,
        "\(memoryDirectory) is missing or not writable: guest RAM goes to the run directory, "
          + "which makes each boot slower",
        fix: "\(sudo)mount -t tmpfs -o mode=1777 tmpfs \(memoryDirectory)")
    }
    let free = Self.freeBytes(at: memoryDirectory) ?? 0
    // Each guest's RAM file grows to its memory size (256 MiB by default).
    guard free >= 512 << 20 else {
      return HostFinding(
        "shm", .warn, "\(memoryDirectory) has \(Self.format(free)) free; each guest needs up to its memory size",
        fix: "\(sudo)mount -o remount,size=50% \(memoryDirectory)")
    }
    return HostFinding("shm", .ok, "\(memoryDirectory), \(Self.format(free)) free")
  }

  /// Free space where `what` lives: a warning under `wanted`, fatal under
  /// 64 MiB (no overlay, log or database could be written).
  func diskFinding(path: String, what: String, wanted: UInt64) -> HostFinding {
    let free = Self.freeBytes(at: path) ?? 0
    let detail = "\(path): \(Self.format(free)) free"
    if free < 64 << 20 { return HostFinding("disk", .fail, detail, fix: "free space there, or set \(what) elsewhere") }
    if free < wanted {
      return HostFinding(
        "disk", .warn, detail + " (kernels and images want about \(Self.format(wanted)))",
        fix: "free space there, or set \(what) elsewhere")
    }
    return HostFinding("disk", .ok, detail)
  }

  func runDirectoryFinding(_ purpose: Purpose) -> HostFinding {
    // The deepest socket Cove makes: RUN_DIR/ID/agent.sock, where ID is 8
    // characters for `cove run` and 15 for a sandbox of `cove serve`. A Unix
    // socket path holds at most 107 bytes.
    let idLength = purpose == .run ? 8 : 15
    let longest = runDirectory.utf8.count + 1 + idLength + "/agent.sock".utf8.count
    let fix = "export COVE_RUN_DIR=/tmp/cove-\(getuid())"
    guard longest <= 107 else {
      return HostFinding(
        "run-dir", .fail,
        "\(runDirectory) is too long for the Unix sockets under it (\(longest) of at most 107 bytes)", fix: fix)
    }
    let existing = Self.nearestExisting(runDirectory)
    guard access(existing, W_OK | X_OK) == 0 else {
      return HostFinding("run-dir", .fail, "\(runDirectory) cannot be made: \(existing) is not writable", fix: fix)
    }
    let free = Self.freeBytes(at: existing) ?? 0
    guard free >= 64 << 20 else {
      return HostFinding("run-dir", .fail, "\(runDirectory): \(Self.format(free)) free", fix: fix)
    }
    return HostFinding(
      "run-dir", .ok, "\(runDirectory) (socket paths up to \(longest) bytes, \(Self.format(free)) free)")
  }

  func kernelFinding(_ purpose: Purpose) async -> HostFinding {
    if let customKernel {
      return FileManager.default.fileExists(atPath: customKernel)
        ? HostFinding("kernel", .ok, "\(customKernel) (given)")
        : HostFinding("kernel", .fail, "no kernel at \(customKernel)", fix: "give the path of a vmlinuz to --kernel")
    }
    let store = KernelStore(home: home)
    if let kernel = store.cached() {
      let files = [kernel.vmlinuz] + kernel.modules
      guard let absent = files.first(where: { !FileManager.default.fileExists(atPath: $0) }) else {
        return HostFinding(
          "kernel", .ok, "\(kernel.release) at \(URL(fileURLWithPath: kernel.vmlinuz).deletingLastPathComponent().path)"
        )
      }
      return HostFinding("kernel", .fail, "\(kernel.release) lacks \(absent)", fix: "cove kernel fetch")
    }
    // Not fetched: the first boot fetches it, if apt can name the package.
    do {
      let package = try await store.currentPackage()
      return HostFinding(
        "kernel", .warn, "not fetched yet; \(package) is fetched on first use (about 70 MB)",
        fix: "cove kernel fetch")
    } catch {
      return HostFinding(
        "kernel", .fail, "not fetched, and apt cannot name the package: \(error)",
        fix: "\(sudo)apt-get update (or scripts/install-deps)")
    }
  }

  func agentFinding() -> HostFinding {
    do {
      return HostFinding("agent", .ok, try locateAgent())
    } catch ImageError.agentNotFound(let places) {
      return HostFinding(
        "agent", .fail, "the static guest agent is not at \(places.joined(separator: ", "))",
        fix: "scripts/build-agent in Cove's repository, or COVE_AGENT=PATH")
    } catch {
      return HostFinding(
        "agent", .fail, "\(error)", fix: "scripts/build-agent in Cove's repository, or COVE_AGENT=PATH")
    }
  }

  /// The image `cove run` boots or `cove serve` uses by default. One that
  /// is built on first use is fine; one that cannot be is fatal to `cove
  /// run` only (a daemon's requests may name other images).
  func imageFinding(_ purpose: Purpose) -> HostFinding {
    let finding = imageState()
    if purpose == .serve, finding.level == .fail {
      return HostFinding(finding.check, .warn, finding.detail, fix: finding.fix)
    }
    return finding
  }

  private func imageState() -> HostFinding {
    let store = ImageStore(home: home)
    let buildLater = "cove image build \(image)"
    do {
      let built = try store.image(named: image)
      return HostFinding("image", .ok, "\(image) at \(built.path) (\(Self.format(built.sizeBytes)))")
    } catch ImageError.imageNotFound where image == "busybox" {
      guard FileManager.default.isExecutableFile(atPath: "/bin/busybox") else {
        return HostFinding(
          "image", .fail, "busybox is not built, and /bin/busybox (busybox-static) is missing",
          fix: install("busybox-static"))
      }
      return HostFinding("image", .warn, "busybox is not built yet; it is built on first use", fix: buildLater)
    } catch ImageError.imageNotFound where ImageStore.builtinNames.contains(image) {
      guard isRoot else {
        return HostFinding(
          "image", .fail, "\(image) is not built, and building it needs root", fix: "sudo cove image build \(image)")
      }
      guard (try? locate("mmdebstrap", "mmdebstrap")) != nil else {
        return HostFinding(
          "image", .fail, "\(image) is not built, and mmdebstrap (which builds it) is missing",
          fix: install("mmdebstrap"))
      }
      return HostFinding(
        "image", .warn, "\(image) is not built yet; it is built on first use (mmdebstrap, a minute or more)",
        fix: buildLater)
    } catch {
      return HostFinding("image", .fail, "\(error)", fix: "cove image build \(image) --from DIR")
    }
  }

  /// What pulling and importing OCI images calls: gzip and zstd unpack
  /// layers, debugfs gives files their owners when Cove is not root.
  func imageToolsFinding() -> HostFinding {
    let tools = [("gzip", "gzip"), ("zstd", "zstd")] + (isRoot ? [] : [("debugfs", "e2fsprogs")])
    let absent = tools.filter { (try? locate($0.0, $0.1)) == nil }
    guard absent.isEmpty else {
      let names = absent.map { "\($0.0) (\($0.1))" }.joined(separator: ", ")
      return HostFinding(
        "image-tools", .warn, "pulling OCI images needs \(names)",
        fix: install(Set(absent.map(\.1)).sorted().joined(separator: " ")))
    }
    return HostFinding("image-tools", .ok, tools.map(\.0).joined(separator: ", "))
  }

  /// What the tests and benchmarks call besides Cove's own needs.
  func testToolsFinding() -> HostFinding {
    let tools = [
      ("cpio", "cpio"), ("debugfs", "e2fsprogs"), ("busybox", "busybox-static"), ("ssh", "openssh-client"),
      ("python3", "python3"), ("docker-registry", "docker-registry"), ("skopeo", "skopeo"),
      ("musl-gcc", "musl-tools"), ("gcc", "gcc"), ("setcap", "libcap2-bin"),
    ]
    let absent = tools.filter { (try? locate($0.0, $0.1)) == nil }
    guard absent.isEmpty else {
      let names = absent.map { "\($0.0) (\($0.1))" }.joined(separator: ", ")
      return HostFinding(
        "test-tools", .warn, "the tests and benchmarks need \(names)",
        fix: install(Set(absent.map(\.1)).sorted().joined(separator: " ")))
    }
    return HostFinding("test-tools", .ok, tools.map(\.0).joined(separator: ", "))
  }

  // MARK: - Helpers

  private var sudo: String { isRoot ? "" : "sudo " }

  private func install(_ packages: String) -> String { "\(sudo)apt-get install -y \(packages)" }

  private func missing(_ check: String, program: String, package: String, neededFor why: String) -> HostFinding {
    HostFinding(check, .fail, "\(program) is not installed; \(why)", fix: install(package))
  }

  /// A program's standard output and error together, or nil when it could
  /// not be started.
  static func output(of program: String, _ arguments: [String]) async -> (exitedZero: Bool, text: String)? {
    guard
      let result = try? await Subprocess.run(
        .path(.init(program)), arguments: .init(arguments), output: .string(limit: 1 << 20),
        error: .string(limit: 1 << 20))
    else { return nil }
    let exitedZero = if case .exited(0) = result.terminationStatus { true } else { false }
    return (exitedZero, result.standardOutput + result.standardError)
  }

  static func freeBytes(at path: String) -> UInt64? {
    var stats = statvfs()
    guard statvfs(nearestExisting(path), &stats) == 0 else { return nil }
    return UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
  }

  /// `path`, or its closest ancestor that exists (a directory made on
  /// first use is made there).
  static func nearestExisting(_ path: String) -> String {
    var url = URL(fileURLWithPath: path).standardized
    while !FileManager.default.fileExists(atPath: url.path), url.path != "/" { url.deleteLastPathComponent() }
    return url.path
  }

  static func format(_ bytes: UInt64) -> String {
    bytes >= 1 << 30
      ? String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) : "\(bytes >> 20) MiB"
  }
}
