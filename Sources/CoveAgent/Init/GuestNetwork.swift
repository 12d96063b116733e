import CCoveSystem
import Logging

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The guest's network as the host describes it on the kernel command line:
/// `cove.net=ADDRESS/PREFIX,GATEWAY,DNS` (QEMU's user-mode network is
/// `10.0.2.15/24,10.0.2.2,10.0.2.3`). No DHCP client is needed in the image.
public struct GuestNetwork: Equatable, Sendable {
  public var address: String
  public var prefix: Int
  public var gateway: String?
  public var nameserver: String?

  /// The setting in a kernel command line, or nil when there is none (or it is malformed).
  public init?(commandLine: String) {
    guard
      let word = commandLine.split(whereSeparator: { $0 == " " || $0 == "\n" }).first(where: {
        $0.hasPrefix("cove.net=")
      })
    else { return nil }
    let parts = word.dropFirst("cove.net=".count).split(separator: ",", omittingEmptySubsequences: false).map(
      String.init)
    let cidr = parts[0].split(separator: "/")
    guard cidr.count == 2, let prefix = Int(cidr[1]), (0...32).contains(prefix) else { return nil }
    address = String(cidr[0])
    self.prefix = prefix
    gateway = parts.count > 1 && !parts[1].isEmpty ? parts[1] : nil
    nameserver = parts.count > 2 && !parts[2].isEmpty ? parts[2] : nil
  }

  /// Brings up the loopback interface, and eth0 with this setting; writes
  /// /etc/resolv.conf when a name server is given.
  public static func configure(commandLine: String, logger: Logger) {
    let loopback = cove_configure_interface("lo", "127.0.0.1", 8, nil)
    if loopback != 0 { logger.warning("loopback not up", metadata: ["errno": "\(loopback)"]) }
    guard let network = GuestNetwork(commandLine: commandLine) else { return }
    let err = cove_configure_interface("eth0", network.address, Int32(network.prefix), network.gateway)
    guard err == 0 else {
      logger.warning("eth0 not configured", metadata: ["errno": "\(err)", "address": "\(network.address)"])
      return
    }
    if let nameserver = network.nameserver {
      let written = writeSmallFile("/etc/resolv.conf", "nameserver \(nameserver)\n")
      if !written { logger.warning("cannot write /etc/resolv.conf") }
    }
    logger.info("network configured", metadata: ["address": "\(network.address)/\(network.prefix)"])
  }
}
