import Foundation

/// The images Cove knows how to make by itself.
extension ImageStore {
  /// Names `cove image build` accepts without a directory.
  public static let builtinNames = ["busybox", "debian", "bench"]

  public func buildBuiltin(named name: String, replacing: Bool = false) async throws -> Image {
    switch name {
    case "busybox": return try await buildBusybox(replacing: replacing)
    case "debian": return try await buildDebian(replacing: replacing)
    case "bench": return try await buildBench(replacing: replacing)
    default:
      throw ImageError.invalidSource(
        "\(name) is not a built-in image (\(Self.builtinNames.joined(separator: ", "))); pass --from DIR")
    }
  }

  /// A few megabytes: Debian's static busybox with a link per applet, and
  /// just enough of /etc for the agent to know root.
  public func buildBusybox(replacing: Bool = false) async throws -> Image {
    let busybox = "/bin/busybox"
    let packageInfo = try? await HostCommand.run("dpkg-query", ["-W", "-f=${Status}", "busybox-static"])
    guard packageInfo?.contains("installed") == true, FileManager.default.fileExists(atPath: busybox) else {
      throw ImageError.programMissing("busybox-static", package: "busybox-static")
    }
    let root = try home.scratchDirectory("busybox")
    defer { try? FileManager.default.removeItem(atPath: root) }
    let manager = FileManager.default
    for directory in ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "root", "tmp", "proc", "sys", "dev", "run", "home"] {
      try manager.createDirectory(atPath: "\(root)/\(directory)", withIntermediateDirectories: true)
    }
    try manager.copyItem(atPath: busybox, toPath: "\(root)/bin/busybox")
    let applets = try await HostCommand.run(busybox, ["--list-full"])
    for applet in applets.split(separator: "\n") where !applet.isEmpty && applet != "bin/busybox" {
      let depth = applet.split(separator: "/").count - 1
      let target = String(repeating: "../", count: depth) + "bin/busybox"
      try? manager.createSymbolicLink(atPath: "\(root)/\(applet)", withDestinationPath: target)
    }
    let files = [
      "etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
      "etc/group": "root:x:0:\nnogroup:x:65534:\n",
      "etc/hostname": "cove\n",
      "etc/os-release": "NAME=\"Cove busybox\"\nID=busybox\n",
    ]
    for (path, text) in files { try Data(text.utf8).write(to: URL(fileURLWithPath: "\(root)/\(path)")) }
    return try await build(
      named: "busybox", fromDirectory: root, source: "busybox-static (\(busybox))", headroom: 64 << 20,
      replacing: replacing)
  }

  /// Debian 12 minbase with python3, made by mmdebstrap. Needs the package
  /// mirror and root (mke2fs -d keeps the owners it sees).
  public func buildDebian(replacing: Bool = false, suite: String = "bookworm") async throws -> Image {
    try await buildDebootstrapped(
      named: "debian", packages: Self.debianPackages, suite: suite, replacing: replacing)
  }

  /// The debian image plus the peers `bench/peers` measures Cove's agent
  /// against, all from Debian's packages: qemu-guest-agent, the dropbear SSH
  /// server, and iproute2 (the bench configures the guest's network itself).
  /// Nothing is started or configured in the image; the bench does that
  /// through the agent.
  public func buildBench(replacing: Bool = false, suite: String = "bookworm") async throws -> Image {
    try await buildDebootstrapped(
      named: "bench", packages: Self.debianPackages + Self.benchPeerPackages, suite: suite, replacing: replacing)
  }

  /// What the debian image adds to minbase.
  static let debianPackages = ["python3", "ca-certificates"]
  /// What the bench image adds to the debian image.
  static let benchPeerPackages = ["qemu-guest-agent", "dropbear-bin", "iproute2"]

  /// A Debian `suite` minbase with `packages`, docs and locales left out.
  func buildDebootstrapped(named name: String, packages: [String], suite: String, replacing: Bool) async throws
    -> Image
  {
    guard getuid() == 0 else {
      throw ImageError.invalidSource("building the \(name) image needs root (file owners must be real)")
    }
    let root = try home.scratchDirectory(name)
    defer { try? FileManager.default.removeItem(atPath: root) }
    logger.info("building the \(name) image with mmdebstrap; this downloads about 40 MB or more")
    try await HostCommand.runShowingProgress(
      "mmdebstrap",
      [
        "--variant=minbase", "--include=\(packages.joined(separator: ","))",
        "--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/man/*",
        "--dpkgopt=path-exclude=/usr/share/locale/*", suite, root,
      ],
      package: "mmdebstrap")
    try Data("cove\n".utf8).write(to: URL(fileURLWithPath: "\(root)/etc/hostname"))
    return try await build(
      named: name, fromDirectory: root, source: "mmdebstrap \(suite) minbase + \(packages.joined(separator: ", "))",
      replacing: replacing)
  }
}
