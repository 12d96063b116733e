import CoveAgentProto
import CoveImages
import CoveMachine
import CoveOCI
import Foundation
import Testing

/// Boots images pulled from the real registry, unmodified: the agent lives
/// in the initramfs and needs nothing of the image (no shell, no init).
@Suite("Pulled images boot and run their commands", .serialized)
struct BootTests {
  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
  /// Where the other VM tests keep the kernel and initramfs.
  static let home = CoveHome(root: packageRoot + "/.build/test-home")

  /// Pulls `tag` of the test images into the test home as a fresh image,
  /// boots it, runs the image's own command and then `extra` commands.
  func withPulledImage(
    _ tag: String, _ body: (QEMUMachine, ImageDefaults?) async throws -> Void
  ) async throws {
    let layout = try await TestImages.layout()
    let registry = try await TestRegistry.start()
    defer { registry.stop() }
    try await layout.push(tag: tag, to: "\(registry.address)/cove/\(tag):1")
    let store = ImageStore(home: Self.home)
    let name = "oci-test-\(tag)-\(getpid())"
    let image = try await store.pull(
      try ImageReference(parsing: "\(registry.address)/cove/\(tag):1"), named: name, options: .init(insecure: true),
      replacing: true)
    defer { try? store.remove(named: name) }
    var assets = GuestAssets(home: Self.home)
    assets.agent = ProcessInfo.processInfo.environment["COVE_AGENT"] ?? Self.packageRoot + "/.build/static/cove-agent"
    var configuration = try await assets.configuration(image: name)
    configuration.runDirectory = "/tmp/cove-ocitest-\(getpid())"
    configuration.network = false
    let machine = QEMUMachine(configuration: configuration)
    do {
      _ = try await machine.boot(timeout: .seconds(480))
      try await body(machine, image.config)
      await machine.stop(grace: .seconds(3))
    } catch {
      await machine.kill()
      throw error
    }
  }

  @Test("a busybox image with a musl program, whiteouts and owners, whose /sbin/init points at a missing systemd")
  func features() async throws {
    try await withPulledImage("features") { machine, defaults in
      let launch = ImageLaunch(defaults: defaults, arguments: [])
      let own = try await machine.collect(
        ProcessSpec(argv: launch.argv, env: launch.env, cwd: launch.cwd, user: launch.user))
      #expect(own.stdout == "hello from the image in /work as 1000\n", "Entrypoint + Cmd, Env, WorkingDir, User")
      let musl = try await machine.collect(ProcessSpec(argv: ["/usr/bin/hello-musl", "x"]))
      #expect(musl.stdout == "hello libc=musl uid=0 cwd=/ x\n")
      let checks = try await machine.collect(
        ProcessSpec(argv: [
          "/bin/sh", "-c",
          "stat -c '%a %u' /usr/local/bin/suid; stat -c '%h' /opt/data; stat -c '%U %a' /home/app/owned; ls /etc/keep; test -e /etc/gone.txt || echo gone; readlink /sbin/init",
        ]))
      #expect(checks.stdout == "4755 0\n2\napp 640\nnew.txt\ngone\n/lib/systemd/systemd\n", "\(checks.stderr)")
      let override = ImageLaunch(defaults: defaults, arguments: ["echo $GREETING; pwd"], workdir: "/tmp")
      let overridden = try await machine.collect(
        ProcessSpec(argv: override.argv, env: override.env, cwd: override.cwd, user: override.user))
      #expect(overridden.stdout == "hello from the image\n/tmp\n", "arguments replace Cmd, the entrypoint stays")
    }
  }

  @Test("cove run --image NAME -- ARGS runs a pulled image's entrypoint with ARGS as its user, through the CLI")
  func throughTheCLI() async throws {
    let layout = try await TestImages.layout()
    let registry = try await TestRegistry.start()
    defer { registry.stop() }
    try await layout.push(tag: "distroless", to: "\(registry.address)/cove/cli:1")
    let name = "oci-test-cli-\(getpid())"
    let environment = "COVE_HOME=\"\(Self.home.root)\" COVE_RUN_DIR=/tmp/cove-ocitest-cli-\(getpid())"
    defer { try? ImageStore(home: Self.home).remove(named: name) }
    let pulled = try await sh(
      "env \(environment) \"$1\" image pull --insecure --name \"$2\" \"$3\" 2>&1", NonRootTests.cove, name,
      "\(registry.address)/cove/cli:1")
    #expect(pulled.contains("\(name): "), "\(pulled)")
    let inspected = try await sh("env \(environment) \"$1\" image inspect \"$2\"", NonRootTests.cove, name)
    #expect(inspected.contains(#"entrypoint  ["/hello"]"#) && inspected.contains("user        65532:65532"))
    let ran = try await sh(
      "env \(environment) \"$1\" run --image \"$2\" --no-network -- from the cli 2>/dev/null", NonRootTests.cove, name)
    #expect(ran == "hello libc=glibc uid=65532 cwd=/ from the cli\n")
  }

  @Test("a distroless-style glibc image without a shell runs its entrypoint as its numeric user")
  func distroless() async throws {
    try await withPulledImage("distroless") { machine, defaults in
      let launch = ImageLaunch(defaults: defaults, arguments: [])
      #expect(launch.argv == ["/hello", "from", "distroless"] && launch.user == "65532")
      let run = try await machine.collect(
        ProcessSpec(argv: launch.argv, env: launch.env, cwd: launch.cwd, user: launch.user))
      #expect(run.stdout == "hello libc=glibc uid=65532 cwd=/ from distroless\n", "\(run.stderr)")
      let noShell = try await machine.collect(ProcessSpec(argv: ["/bin/sh", "-c", "true"]))
      #expect(noShell.exit.code != 0, "the image has no shell, and Cove put none there")
    }
  }
}

extension QEMUMachine {
  func collect(_ spec: ProcessSpec) async throws -> (exit: CommandExit, stdout: String, stderr: String) {
    let out = Output()
    let exit = try await execute(spec) { stream, data in out.append(stream == .stdout, data) }
    return (exit, out.text(true), out.text(false))
  }
}

final class Output: @unchecked Sendable {
  private let lock = NSLock()
  private var out = Data()
  private var err = Data()
  func append(_ isOut: Bool, _ data: Data) { lock.withLock { isOut ? out.append(data) : err.append(data) } }
  func text(_ isOut: Bool) -> String { lock.withLock { String(decoding: isOut ? out : err, as: UTF8.self) } }
}
