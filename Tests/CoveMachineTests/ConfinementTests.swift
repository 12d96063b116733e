import CoveMachine
import Foundation
import Testing

/// The confinement of QEMU (issue 18): read from the kernel for a running
/// guest, not taken from Cove's word.
@Suite("Confinement of QEMU", .serialized, .timeLimit(.minutes(10)))
struct ConfinementTests {
  /// Fields of /proc/PID/status.
  static func status(of pid: pid_t) -> [String: String] {
    let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    var fields: [String: String] = [:]
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: ":", maxSplits: 1)
      if parts.count == 2 { fields[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces) }
    }
    return fields
  }

  @Test(
    "a running guest's QEMU has a uid of its own, seccomp, no capabilities, an empty root, and a cgroup with the VM's limits that goes with it",
    .enabled(if: geteuid() == 0, "QEMU drops to a uid of its own only when Cove runs as root"))
  func confinedQEMU() async throws {
    var configuration = try await TestGuest.configuration()
    configuration.confinement = VMMConfinement()
    let machine = QEMUMachine(configuration: configuration)
    let agent = try await machine.boot(timeout: .seconds(480))
    var group: CGroup?
    var uid: UInt32?
    do {
      let pid = try #require(machine.pid)
      let confined = try #require(machine.confined)
      uid = try #require(confined.uid)
      let status = Self.status(of: pid)
      #expect(status["Uid"] == Array(repeating: "\(uid!)", count: 4).joined(separator: "\t"))
      #expect(status["Gid"] == Array(repeating: "\(uid!)", count: 4).joined(separator: "\t"))
      #expect(uid != 0 && uid != getuid())
      #expect(status["Seccomp"] == "2")
      #expect(status["NoNewPrivs"] == "1")
      #expect(status["CapEff"] == "0000000000000000" && status["CapPrm"] == "0000000000000000")
      // Its root is the empty view.
      let root = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/root")
      #expect(root == confined.view)
      // A VM without a network gets an empty network namespace.
      #expect(!configuration.network && confined.ownNetwork)
      let network = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")
      #expect(network != (try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")))

      // QEMU cannot open a host file outside its view: asked to open the
      // guest's own base image and a host file by their host paths, it
      // finds neither (without the chroot, as root, both open).
      let qmp = try #require(machine.qmp)
      for (index, path) in [configuration.rootImage, "/etc/passwd", machine.directory.console].enumerated() {
        do {
          try await qmp.execute(
            "blockdev-add",
            arguments: [
              "driver": .string("file"), "node-name": .string("probe\(index)"), "filename": .string(path),
              "read-only": .bool(true),
            ])
          Issue.record("QEMU opened \(path) from inside its view")
        } catch {
          #expect("\(error)".contains("No such file or directory"), "\(path): \(error)")
        }
      }

      // Its cgroup holds it (every thread) with the limits of its size.
      group = try #require(confined.cgroup)
      #expect(group!.processes == [pid])
      let membership = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)
      for (controller, directory) in group!.directories where controller != "blkio" {
        #expect(membership.contains(String(directory.split(separator: "/").suffix(2).joined(separator: "/"))))
      }
      let expected = ResourceLimits(cpus: configuration.cpus, memoryMiB: configuration.memoryMiB)
      #expect(group!.limits == expected)
      #expect(expected.cpuCores == Double(configuration.cpus))

      // A command still runs, and fills the guest's memory with page cache
      // for the overhead figure below.
      let ran = try await machine.run(["sh", "-c", "cat /bin/busybox /bin/busybox > /dev/null; echo ok"])
      #expect(ran.stdout == "ok\n")
      _ = agent
      if let usage = group!.memoryUsage {
        let shared = Int(status["RssShmem"]?.split(separator: " ").first ?? "0") ?? 0
        let after = Self.status(of: pid)
        print(
          "memory: cgroup now \(usage.current >> 20) MiB, peak \((usage.peak ?? 0) >> 20) MiB;",
          "QEMU RssAnon \(after["RssAnon"] ?? "?"), RssFile \(after["RssFile"] ?? "?"),",
          "RssShmem \(after["RssShmem"] ?? "?") (guest RAM touched; \(shared) kB at boot)")
      }
    } catch {
      await machine.kill()
      throw error
    }
    await machine.stop(grace: .seconds(3))
    // Its cgroup and its uid went with it.
    for directory in group.map({ Array($0.directories.values) }) ?? [] {
      #expect(!FileManager.default.fileExists(atPath: directory), "\(directory) is left")
    }
    #expect(!FileManager.default.fileExists(atPath: "/run/cove-vmm-uids/\(uid ?? 0)"))
  }

  @Test(
    "what confinement adds to a start: a uid claim, a view, a cgroup with limits, undone by release",
    .enabled(if: geteuid() == 0, "measures the root path"))
  func setUpCost() async throws {
    var configuration = try await TestGuest.configuration()
    configuration.confinement = VMMConfinement()
    let path = "/tmp/cove-probe-\(getpid())"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let directory = VMDirectory(path: path, memoryDirectory: nil)
    let clock = ContinuousClock()
    var took: [Duration] = []
    for round in 0..<5 {
      let started = clock.now
      let confined = try configuration.confinement.prepare(
        id: "probe\(getpid())-\(round)", directory: directory, configuration: configuration)
      VMMConfinement.release(id: "probe\(getpid())-\(round)", directory: directory)
      took.append(clock.now - started)
      #expect(confined.uid != nil && confined.cgroup != nil)
      for cgroupDirectory in confined.cgroup?.directories.values.map({ $0 }) ?? [] {
        #expect(!FileManager.default.fileExists(atPath: cgroupDirectory))
      }
      try? FileManager.default.removeItem(atPath: path + "/view")
    }
    print("confinement set-up and release: \(took.map { "\($0)" }.joined(separator: ", "))")
  }

  @Test(
    "a guest that spins is held to its CPU quota, by the kernel's count of the group's CPU time",
    .enabled(if: geteuid() == 0 || CGroup.Layout.current()?.missing.isEmpty == true))
  func spinningGuest() async throws {
    var configuration = try await TestGuest.configuration()
    configuration.confinement = VMMConfinement()
    // A quarter of a core: less than a spinning vCPU takes even on a busy
    // host, so the quota, not the host, is what holds it.
    configuration.confinement.limits = ResourceLimits(cpuCores: 0.25, memoryBytes: 512 << 20, pids: 128)
    try await TestGuest.withMachine(configure: { $0 = configuration }) { machine in
      let group = try #require(machine.confined?.cgroup)
      let clock = ContinuousClock()
      let usedBefore = try #require(group.cpuUsage)
      let throttledBefore = try #require(group.throttledPeriods)
      let started = clock.now
      let spun = try await machine.run([
        "sh", "-c", "sh -c 'while :; do :; done' & spinner=$!; sleep 6; kill $spinner; echo spun",
      ])
      let elapsed = clock.now - started
      let used = try #require(group.cpuUsage) - usedBefore
      let throttled = try #require(group.throttledPeriods) - throttledBefore
      #expect(spun.stdout == "spun\n")
      let share = used / elapsed
      print("spinning guest: \(used) of CPU in \(elapsed): \(share) of a core, throttled in \(throttled) periods")
      // 0.25 of a core, and a period's worth of slack at either end. On a
      // host too busy to give the vCPU even that, the quota is reached in
      // fewer periods (7 of about 70 at load 17), but in some.
      #expect(share <= 0.25 * 1.1 + 0.02)
      #expect(throttled > 0)
    }
  }

  @Test("a guest that fills its disk grows its overlay to the image's size and no further")
  func diskFiller() async throws {
    var configuration = try await TestGuest.configuration()
    configuration.confinement = VMMConfinement()
    let imageSize = try #require(
      try FileManager.default.attributesOfItem(atPath: configuration.rootImage)[.size] as? Int)
    try await TestGuest.withMachine(configure: { $0 = configuration }) { machine in
      let filled = try await machine.run(["sh", "-c", "dd if=/dev/zero of=/fill bs=1M 2>&1; sync; df -k /"])
      #expect(filled.stdout.contains("No space left on device"), "\(filled.stdout)")
      let overlay = try #require(
        try FileManager.default.attributesOfItem(atPath: machine.directory.overlay)[.size] as? Int)
      print("disk filler: overlay \(overlay >> 20) MiB over a \(imageSize >> 20) MiB image")
      // qcow2's tables add about 0.2%.
      #expect(overlay <= imageSize + imageSize / 50 + (1 << 20))
    }
  }

  @Test("the limits of a VM follow its size: vCPUs as CPU quota, guest RAM plus QEMU's overhead")
  func limitsOfASize() {
    let limits = ResourceLimits(cpus: 2, memoryMiB: 512)
    #expect(limits.cpuQuotaMicroseconds == 200_000)
    #expect(limits.memoryBytes == (512 + ResourceLimits.vmmOverheadMiB) << 20)
    #expect(limits.pids > 64 + 2)
  }

  @Test("seccomp denies every group but the two QEMU 7.2 needs for -daemonize and -runas")
  func seccompOptions() {
    #expect(
      VMMConfinement.seccompOptions == "on,obsolete=deny,elevateprivileges=allow,spawn=allow,resourcecontrol=deny")
  }

  @Test("COVE_UNCONFINED drops only the protections it names; a bad name or uid range is refused")
  func environment() throws {
    let some = VMMConfinement.fromEnvironment(["COVE_UNCONFINED": "cgroups", "COVE_VMM_UIDS": "200000-200009"])
    #expect(some.seccomp && some.user && !some.cgroups && some.invalidSetting == nil)
    #expect(some.uids == 200_000...200_009)
    #expect(VMMConfinement.fromEnvironment(["COVE_UNCONFINED": "network"]).invalidSetting != nil)
    #expect(VMMConfinement.fromEnvironment(["COVE_VMM_UIDS": "5-3"]).invalidSetting != nil)
    #expect(VMMConfinement.fromEnvironment(["COVE_VMM_UIDS": "0-100"]).invalidSetting != nil)
  }

  @Test(
    "a uid range holding an account's id is refused at start",
    .enabled(if: geteuid() == 0, "the uid claims live in /run"))
  func uidRangeWithAnAccount() async throws {
    var configuration = try await TestGuest.configuration()
    configuration.confinement = VMMConfinement()
    configuration.confinement.uids = 65534...65534  // nobody
    let machine = QEMUMachine(configuration: configuration)
    await #expect(throws: ConfinementError.self) { try await machine.start() }
    await machine.kill()
  }

  @Test(
    "under cgroup v2 a VM's group is one directory under Cove's own, with cpu.max, memory.max, pids.max and io.weight")
  func unifiedGroup() throws {
    // A v2 tree laid out as the kernel would show it, in a plain directory
    // (these machines mount v1): the paths and values Cove writes.
    let root = "/tmp/cove-cgroup2-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: root) }
    let own = root + "/sys/fs/cgroup/cove.service"
    let group = own + "/cove/vm1"
    try FileManager.default.createDirectory(atPath: group, withIntermediateDirectories: true)
    let files = [
      root + "/sys/fs/cgroup/cgroup.controllers": "cpuset cpu io memory pids\n",
      own + "/cgroup.controllers": "cpu io memory pids\n",
      own + "/cgroup.subtree_control": "", own + "/cove/cgroup.subtree_control": "",
      group + "/cpu.max": "", group + "/memory.max": "", group + "/pids.max": "", group + "/io.weight": "",
    ]
    for (path, text) in files { try text.write(toFile: path, atomically: false, encoding: .utf8) }
    let layout = try #require(
      CGroup.Layout.parse(
        mountinfo: "40 30 0:35 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate",
        membership: "0::/cove.service\n", root: root))
    #expect(layout.unified && layout.own["memory"] == own && layout.missing.isEmpty)
    let made = try CGroup.create(named: "vm1", limits: ResourceLimits(cpus: 2, memoryMiB: 256), layout: layout)
    #expect(Set(made.directories.values) == [group])
    func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
    #expect(read(group + "/cpu.max") == "200000 100000")
    #expect(read(group + "/memory.max") == "\((256 + ResourceLimits.vmmOverheadMiB) << 20)")
    #expect(read(group + "/pids.max") == "98")
    #expect(read(group + "/io.weight") == "100")
    #expect(read(own + "/cove/cgroup.subtree_control").contains("+memory"))
  }

  @Test(
    "cgroup v1 hierarchies are found (one per controller, Cove's own group in each), and a missing controller is named")
  func layouts() {
    let mountinfo = """
      30 25 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755
      31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
      32 30 0:28 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
      33 30 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
      34 30 0:30 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
      35 30 0:31 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
      36 30 0:32 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
      """
    let membership = "8:pids:/\n7:blkio:/\n4:memory:/box/1\n2:cpuacct:/\n1:cpu:/\n0::/\n"
    let layout = CGroup.Layout.parse(mountinfo: mountinfo, membership: membership)
    #expect(layout?.unified == false)
    #expect(layout?.own["memory"] == "/sys/fs/cgroup/memory/box/1")
    #expect(layout?.own["cpu"] == "/sys/fs/cgroup/cpu")
    #expect(layout?.missing == [])
    let withoutPids = CGroup.Layout.parse(
      mountinfo: mountinfo.split(separator: "\n").filter { !$0.contains("pids") }.joined(separator: "\n"),
      membership: membership)
    #expect(withoutPids?.missing == ["pids"])
  }
}
