import CoveAgentProto
import CoveImages
import CoveMachine
import Foundation
import Logging
import Subprocess

/// One VM of the `bench` image with all three peers serving it: Cove's
/// agent, qemu-guest-agent on its own virtio-serial port, and dropbear
/// behind a loopback port forward. Everything it makes on the host (QEMU,
/// sockets, the SSH key) is removed by ``stop()``.
struct BenchGuest {
  static let guestAgentPort = "org.qemu.guest_agent.0"

  let machine: QEMUMachine
  let cove: CoveAgentPeer
  let guestAgent: GuestAgentPeer
  let ssh: SSHPeer
  let guestAgentPID: UInt32
  let keyDirectory: String

  /// Boots the VM and starts the peers in it.
  static func boot(image: String, memoryMiB: Int, logger: Logger) async throws -> BenchGuest {
    var configuration = try await GuestAssets(logger: logger).configuration(image: image)
    configuration.memoryMiB = memoryMiB
    configuration.serialPorts = [guestAgentPort]
    let sshPort = try freeLoopbackPort()
    configuration.portForwards = [PortForward(hostPort: sshPort, guestPort: 22)]
    let keyDirectory = NSTemporaryDirectory() + "cove-bench-\(getpid())"
    try FileManager.default.createDirectory(
      atPath: keyDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    let identity = keyDirectory + "/id_ed25519"
    let machine = QEMUMachine(configuration: configuration, logger: logger)
    do {
      try await HostCommand.run(
        "ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "cove-bench", "-f", identity], package: "openssh-client")
      let agent = try await machine.boot(timeout: .seconds(120))
      let cove = CoveAgentPeer(agent: agent)
      let pid = try await startGuestAgent(machine: machine, cove: cove, logger: logger)
      let client = try GuestAgentClient(socketPath: machine.directory.serialSocket(named: guestAgentPort))
      try client.synchronize()
      let ssh = SSHPeer(port: sshPort, identity: identity)
      try await startSSHServer(cove: cove, ssh: ssh, publicKey: identity + ".pub", logger: logger)
      return BenchGuest(
        machine: machine, cove: cove, guestAgent: GuestAgentPeer(client: client), ssh: ssh, guestAgentPID: pid,
        keyDirectory: keyDirectory)
    } catch {
      await machine.kill()
      try? FileManager.default.removeItem(atPath: keyDirectory)
      throw error
    }
  }

  func stop() async {
    await machine.stop(grace: .seconds(5))
    try? FileManager.default.removeItem(atPath: keyDirectory)
  }

  /// Finds the port's device by name (the guest has no udev to make
  /// /dev/virtio-ports links) and starts qemu-ga on it with its defaults.
  private static func startGuestAgent(machine: QEMUMachine, cove: CoveAgentPeer, logger: Logger) async throws
    -> UInt32
  {
    let listing = try await cove.agent.files.list(.with { $0.path = "/sys/class/virtio-ports" })
    var device: String?
    for entry in listing.entries {
      let name = String(decoding: try await cove.read(entry.path + "/name"), as: UTF8.self)
      if name.trimmingCharacters(in: .whitespacesAndNewlines) == guestAgentPort { device = "/dev/" + entry.name }
    }
    guard let device else { throw BenchError.setup("the guest has no port named \(guestAgentPort)") }
    let pid = try await cove.startInBackground(
      ["/usr/sbin/qemu-ga", "--method=virtio-serial", "--path=\(device)"], tag: "qemu-ga")
    logger.info("qemu-guest-agent started", metadata: ["pid": "\(pid)", "device": "\(device)"])
    let clock = ContinuousClock()
    let deadline = clock.now + .seconds(30)
    let id = QEMUCommandLine.serialPortID(0)
    while machine.qmp?.guestOpenedPort(id) != true {
      guard clock.now < deadline else { throw BenchError.setup("qemu-ga did not open \(device) within 30 s") }
      try await Task.sleep(for: .milliseconds(20))
    }
    return pid
  }

  /// Brings up eth0 for QEMU's user-mode network (the agent does not yet),
  /// installs the bench's public key for root and starts dropbear, then
  /// waits until an ssh command gets through.
  private static func startSSHServer(cove: CoveAgentPeer, ssh: SSHPeer, publicKey: String, logger: Logger)
    async throws
  {
    _ = try await cove.run([
      "sh", "-c",
      "ip link set lo up && ip link set eth0 up && ip addr replace 10.0.2.15/24 dev eth0"
        + " && ip route replace default via 10.0.2.2 && mkdir -p /etc/dropbear /root/.ssh && chmod 700 /root/.ssh",
    ])
    guard let key = FileManager.default.contents(atPath: publicKey) else {
      throw BenchError.setup("cannot read \(publicKey)")
    }
    _ = try await cove.agent.files.write { writer in
      try await writer.write(
        .with {
          $0.header = .with {
            $0.path = "/root/.ssh/authorized_keys"; $0.mode = 0o600
          }
        })
      try await writer.write(.with { $0.data = key })
      try await writer.write(.with { $0.finish = true })
    }
    // -R makes host keys on first use; -F and -E keep it in the foreground
    // and logging to stderr, where the agent collects its output.
    let pid = try await cove.startInBackground(["/usr/sbin/dropbear", "-F", "-E", "-R", "-p", "22"], tag: "dropbear")
    logger.info("dropbear started", metadata: ["pid": "\(pid)"])
    let clock = ContinuousClock()
    let deadline = clock.now + .seconds(60)
    while true {
      do {
        _ = try await ssh.ssh("true")
        return
      } catch {
        guard clock.now < deadline else { throw BenchError.setup("ssh never got through: \(error)") }
        try await Task.sleep(for: .milliseconds(500))
      }
    }
  }
}
