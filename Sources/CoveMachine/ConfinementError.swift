import Foundation

/// A protection Cove cannot give a VM's QEMU on this host, or one that
/// failed while it was set up. The message says what was missing; the
/// description adds how to run without that protection and what is lost.
public struct ConfinementError: Error, CustomStringConvertible, Equatable {
  /// The protection, by the name `COVE_UNCONFINED` takes.
  public enum Protection: String, Sendable, CaseIterable {
    /// QEMU's system call filter (`-sandbox`).
    case seccomp
    /// An unprivileged uid of its own and a private view of the host (chroot).
    case user
    /// Resource limits in a cgroup.
    case cgroups

    /// What a host gives up by running without it.
    public var loss: String {
      switch self {
      case .seccomp: "a QEMU taken over by its guest could make any system call"
      case .user: "every QEMU would run as Cove's user with its view of the host's files"
      case .cgroups: "a sandbox could take all of the host's CPU, memory and threads from the others"
      }
    }
  }

  public var protection: Protection
  public var message: String
  /// The errno of the failed system call, when one failed.
  public var errno: Int32?

  public init(_ protection: Protection, _ message: String, errno: Int32? = nil) {
    self.protection = protection
    self.message = message
    self.errno = errno
  }

  public var description: String {
    let cause = errno.map { ": \(String(cString: strerror($0)))" } ?? ""
    return "\(message)\(cause). COVE_UNCONFINED=\(protection.rawValue) runs without this protection: "
      + "\(protection.loss)"
  }
}
