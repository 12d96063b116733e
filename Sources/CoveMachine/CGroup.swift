import Foundation

/// The cgroup of one VM's QEMU: its ``ResourceLimits`` as the kernel
/// enforces them, and its CPU and memory use as the kernel counts them.
///
/// It is made under the cgroup Cove itself runs in (`<own>/cove/<id>`), so
/// a host that confines Cove (a systemd unit, a container) confines its
/// sandboxes too. Under cgroup v1 (these machines) each controller has a
/// hierarchy of its own and the group is one directory in each; under v2
/// it is one directory. QEMU's pid is written in right after launch, while
/// the guest is still stopped (`-S` or `-incoming defer`), so nothing the
/// guest does runs outside it.
public struct CGroup: Sendable, Equatable {
  /// cgroup v2 (one hierarchy) or v1 (one per controller).
  public let unified: Bool
  /// The group's directory for each controller: `cpu`, `cpuacct`, `memory`,
  /// `pids`, `blkio` (v1), or every name to the one directory (v2).
  public let directories: [String: String]

  /// The controllers a VM's group uses, by their v1 names.
  static let controllers = ["cpu", "cpuacct", "memory", "pids", "blkio"]

  /// Where the host mounts its cgroup controllers and where Cove's own
  /// process sits in each: the parent under which VM groups are made.
  public struct Layout: Sendable, Equatable {
    public var unified: Bool
    /// Per controller (v1 names), the directory of Cove's own group.
    public var own: [String: String]

    /// Reads /proc/self/mountinfo and /proc/self/cgroup. A v2 hierarchy is
    /// used when it offers the memory and cpu controllers (a pure v2 host);
    /// otherwise the v1 hierarchies are (a v1 or hybrid host, such as
    /// these machines, whose v2 mount holds no controller Cove uses).
    public static func current(root: String = "") -> Layout? {
      guard let mountinfo = try? String(contentsOfFile: root + "/proc/self/mountinfo", encoding: .utf8),
        let membership = try? String(contentsOfFile: root + "/proc/self/cgroup", encoding: .utf8)
      else { return nil }
      return parse(mountinfo: mountinfo, membership: membership, root: root)
    }

    public static func parse(mountinfo: String, membership: String, root: String = "") -> Layout? {
      // /proc/self/cgroup: "ID:controllers:path", "0::path" for v2.
      var paths: [String: String] = [:]
      var unifiedPath: String?
      for line in membership.split(separator: "\n") {
        let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3 else { continue }
        if fields[0] == "0" && fields[1].isEmpty {
          unifiedPath = String(fields[2])
        } else {
          for name in fields[1].split(separator: ",") { paths[String(name)] = String(fields[2]) }
        }
      }
      // mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS] - TYPE SOURCE SUPEROPTS".
      var v1Mounts: [String: (root: String, point: String)] = [:]
      var v2Mount: (root: String, point: String)?
      for line in mountinfo.split(separator: "\n") {
        let halves = line.components(separatedBy: " - ")
        guard halves.count == 2 else { continue }
        let before = halves[0].split(separator: " "), after = halves[1].split(separator: " ")
        guard before.count >= 5, after.count >= 3 else { continue }
        let mount = (root: String(before[3]), point: root + String(before[4]))
        if after[0] == "cgroup2" {
          v2Mount = mount
        } else if after[0] == "cgroup" {
          for option in after[2].split(separator: ",") where controllers.contains(String(option)) {
            v1Mounts[String(option)] = mount
          }
        }
      }
      func join(_ mount: (root: String, point: String), _ path: String) -> String {
        // Inside a cgroup namespace the mount's root may be a prefix of the path.
        var relative = path
        if mount.root != "/", relative.hasPrefix(mount.root) { relative.removeFirst(mount.root.count) }
        return (mount.point + "/" + relative).replacingOccurrences(of: "//", with: "/")
          .trimmingSuffix("/")
      }
      if let v2Mount, let unifiedPath {
        let own = join(v2Mount, unifiedPath)
        let offered = (try? String(contentsOfFile: v2Mount.point + "/cgroup.controllers", encoding: .utf8)) ?? ""
        let names = offered.split(whereSeparator: { $0 == " " || $0 == "\n" })
        if names.contains("memory") && names.contains("cpu") {
          return Layout(unified: true, own: Dictionary(uniqueKeysWithValues: controllers.map { ($0, own) }))
        }
      }
      var own: [String: String] = [:]
      for name in controllers {
        guard let mount = v1Mounts[name], let path = paths[name] else { continue }
        own[name] = join(mount, path)
      }
      return own.isEmpty ? nil : Layout(unified: false, own: own)
    }

    /// The v1 controllers Cove needs that the host does not mount (blkio
    /// is optional: without it only the I/O weight is lost).
    public var missing: [String] {
      unified ? [] : ["cpu", "cpuacct", "memory", "pids"].filter { own[$0] == nil }
    }
  }

  /// Makes the group `cove/<name>` under Cove's own, with `limits`. An
  /// empty group of that name (left by a crash) is reused.
  public static func create(named name: String, limits: ResourceLimits, layout: Layout) throws(ConfinementError)
    -> CGroup
  {
    let missing = layout.missing
    guard missing.isEmpty else {
      throw ConfinementError(.cgroups, "the host mounts no cgroup controller for \(missing.joined(separator: ", "))")
    }
    var directories: [String: String] = [:]
    for (controller, own) in layout.own {
      directories[controller] = own + "/cove/" + name
    }
    let group = CGroup(unified: layout.unified, directories: directories)
    if layout.unified, let own = layout.own["memory"] {
      // v2 hands controllers down one level at a time; a group that holds
      // processes (Cove's own, unless it is the root) cannot (EBUSY).
      try write("+cpu +memory +pids", to: own + "/cgroup.subtree_control", what: "delegating controllers")
      try makeDirectory(own + "/cove")
      try write("+cpu +memory +pids", to: own + "/cove/cgroup.subtree_control", what: "delegating controllers")
      if FileManager.default.fileExists(atPath: own + "/cgroup.controllers"),
        (try? String(contentsOfFile: own + "/cgroup.controllers", encoding: .utf8))?.contains("io") == true
      {
        try? write("+io", to: own + "/cgroup.subtree_control", what: "")
        try? write("+io", to: own + "/cove/cgroup.subtree_control", what: "")
      }
    }
    for directory in Set(directories.values) {
      // The last VM to go removes the `cove` parent: make it again if that
      // happened between the two mkdirs.
      for attempt in 1...5 {
        try makeDirectory(URL(fileURLWithPath: directory).deletingLastPathComponent().path)
        if mkdir(directory, 0o755) == 0 || errno == EEXIST { break }
        guard errno == ENOENT, attempt < 5 else {
          throw ConfinementError(.cgroups, "cannot make the cgroup \(directory)", errno: errno)
        }
      }
    }
    do {
      try group.apply(limits)
    } catch {
      group.remove()
      throw error
    }
    return group
  }

  func apply(_ limits: ResourceLimits) throws(ConfinementError) {
    let quota = limits.cpuQuotaMicroseconds, period = ResourceLimits.cpuPeriodMicroseconds
    if unified {
      let directory = directories["memory"]!
      try Self.write("\(quota) \(period)", to: directory + "/cpu.max", what: "the CPU quota")
      try Self.write("\(limits.memoryBytes)", to: directory + "/memory.max", what: "the memory limit")
      try Self.write("\(limits.pids)", to: directory + "/pids.max", what: "the pids limit")
      for file in ["io.bfq.weight", "io.weight"] where FileManager.default.fileExists(atPath: directory + "/" + file) {
        try? Self.write("\(limits.ioWeight)", to: directory + "/" + file, what: "")
      }
      return
    }
    let cpu = directories["cpu"]!, memory = directories["memory"]!, pids = directories["pids"]!
    try Self.write("\(period)", to: cpu + "/cpu.cfs_period_us", what: "the CPU period")
    try Self.write("\(quota)", to: cpu + "/cpu.cfs_quota_us", what: "the CPU quota")
    try Self.write("\(limits.memoryBytes)", to: memory + "/memory.limit_in_bytes", what: "the memory limit")
    // QEMU allocated before it moved in (guest RAM holding the kernel, its
    // heap); v1 leaves such charges behind unless asked to move them (1:
    // anonymous memory, 2: file and shared memory, such as guest RAM).
    try? Self.write("3", to: memory + "/memory.move_charge_at_immigrate", what: "")
    try Self.write("\(limits.pids)", to: pids + "/pids.max", what: "the pids limit")
    if let blkio = directories["blkio"] {
      // Weights exist only under BFQ (blkio.bfq.weight) or CFQ (blkio.weight).
      for file in ["blkio.bfq.weight", "blkio.weight"] where FileManager.default.fileExists(atPath: blkio + "/" + file)
      {
        try? Self.write("\(limits.ioWeight)", to: blkio + "/" + file, what: "")
      }
    }
  }

  /// Moves process `pid` (all its threads) into the group.
  public func add(_ pid: pid_t) throws(ConfinementError) {
    for directory in Set(directories.values).sorted() {
      try Self.write("\(pid)", to: directory + "/cgroup.procs", what: "placing QEMU in its cgroup")
    }
  }

  /// The processes in the group.
  public var processes: [pid_t] {
    guard let directory = directories["memory"],
      let text = try? String(contentsOfFile: directory + "/cgroup.procs", encoding: .utf8)
    else { return [] }
    return text.split(separator: "\n").compactMap { pid_t($0) }
  }

  /// CPU time the group has used, all threads, user and system.
  public var cpuUsage: Duration? {
    if unified {
      return stat(directories["cpu"]! + "/cpu.stat", "usage_usec").map { .microseconds($0) }
    }
    return read(directories["cpuacct"]! + "/cpuacct.usage").flatMap { Int64($0) }.map { .nanoseconds($0) }
  }

  /// How many scheduling periods the group ran out of quota in.
  public var throttledPeriods: Int? { stat(directories["cpu"]! + "/cpu.stat", "nr_throttled").map { Int($0) } }

  /// Memory charged to the group now and at its peak, bytes.
  public var memoryUsage: (current: Int, peak: Int?)? {
    let directory = directories["memory"]!
    let current = read(directory + (unified ? "/memory.current" : "/memory.usage_in_bytes")).flatMap { Int($0) }
    let peak = read(directory + (unified ? "/memory.peak" : "/memory.max_usage_in_bytes")).flatMap { Int($0) }
    return current.map { ($0, peak) }
  }

  /// The limits as the kernel holds them (read back, not remembered).
  public var limits: ResourceLimits? {
    let cpuDirectory = directories["cpu"]!, memoryDirectory = directories["memory"]!
    let quota: Int?
    let memory: Int?
    if unified {
      quota = read(cpuDirectory + "/cpu.max")?.split(separator: " ").first.flatMap { Int($0) }
      memory = read(memoryDirectory + "/memory.max").flatMap { Int($0) }
    } else {
      quota = read(cpuDirectory + "/cpu.cfs_quota_us").flatMap { Int($0) }
      memory = read(memoryDirectory + "/memory.limit_in_bytes").flatMap { Int($0) }
    }
    guard let quota, let memory, let pids = read(directories["pids"]! + "/pids.max").flatMap({ Int($0) }) else {
      return nil
    }
    return ResourceLimits(
      cpuCores: Double(quota) / Double(ResourceLimits.cpuPeriodMicroseconds), memoryBytes: memory, pids: pids,
      ioWeight: 100)
  }

  /// Removes the group, once its processes are gone (a killed QEMU leaves
  /// it a moment after its pid reads as exited), and the `cove` parent
  /// when it is left empty.
  public func remove() {
    for directory in Set(directories.values) {
      for attempt in 0..<50 {
        if rmdir(directory) == 0 || errno == ENOENT { break }
        guard errno == EBUSY, attempt < 49 else { break }
        usleep(20_000)
      }
      // Another VM's group may be in it: then it stays, and goes with the last.
      rmdir(URL(fileURLWithPath: directory).deletingLastPathComponent().path)
    }
  }

  /// Removes the group `cove/<name>` under Cove's own, if any: for the
  /// VMs of a Cove process that died.
  public static func removeAbandoned(named name: String, layout: Layout? = .current()) {
    guard let layout else { return }
    var directories: [String: String] = [:]
    for (controller, own) in layout.own { directories[controller] = own + "/cove/" + name }
    CGroup(unified: layout.unified, directories: directories).remove()
  }

  private func read(_ path: String) -> String? {
    (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  private func stat(_ path: String, _ key: String) -> Int64? {
    guard let text = read(path) else { return nil }
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: " ")
      if fields.count == 2, fields[0] == key { return Int64(fields[1]) }
    }
    return nil
  }

  static func makeDirectory(_ path: String) throws(ConfinementError) {
    if mkdir(path, 0o755) != 0 && errno != EEXIST {
      throw ConfinementError(.cgroups, "cannot make the cgroup \(path)", errno: errno)
    }
  }

  static func write(_ value: String, to path: String, what: String) throws(ConfinementError) {
    let fd = open(path, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { throw ConfinementError(.cgroups, "\(what): cannot open \(path)", errno: errno) }
    defer { close(fd) }
    let written = value.withCString { Glibc.write(fd, $0, strlen($0)) }
    guard written >= 0 else { throw ConfinementError(.cgroups, "\(what): writing \(value) to \(path)", errno: errno) }
  }
}

extension String {
  fileprivate func trimmingSuffix(_ suffix: String) -> String {
    count > 1 && hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
  }
}
