import CoveAPIModels
import CoveImages
import Foundation
import GRDB

/// A sandbox as the store keeps it: what was asked for, where it is in its
/// life, and what its VM was booted from (so that a restarted daemon can take
/// the VM over).
public struct SandboxRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
  public static let databaseTableName = "sandbox"

  public var id: String
  public var image: String
  public var cpus: Int
  public var memoryMiB: Int
  public var state: SandboxState
  public var createdAt: Date
  /// When the reaper stops it, unless the timeout is extended.
  public var expiresAt: Date
  public var env: [String: String]
  public var metadata: [String: String]
  /// Why it is in the error state, or why it stopped when it did so alone.
  public var error: String?
  public var kernel: GuestKernel
  public var initramfs: String
  public var rootImage: String
  public var runDirectory: String
  /// The template it was cloned from, if any.
  public var template: String?
  /// When it was suspended, while it is; its timeout does not run meanwhile.
  public var suspendedAt: Date?

  public enum Columns {
    public static let state = Column("state")
    public static let expiresAt = Column("expiresAt")
    public static let createdAt = Column("createdAt")
  }
}

extension SandboxState: DatabaseValueConvertible {}

/// An API key as stored: never the key itself, only its SHA-256.
public struct APIKeyRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
  public static let databaseTableName = "api_key"

  /// A short public name for the key (its first characters), for listing and revoking.
  public var id: String
  public var hash: String
  public var name: String
  public var createdAt: Date
}

/// A template: a snapshot of a VM whose start command runs and whose ready
/// command succeeded, from which sandboxes are cloned.
public struct TemplateRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
  public static let databaseTableName = "template"

  public var name: String
  public var image: String
  public var cpus: Int
  public var memoryMiB: Int
  public var startCommand: [String]?
  public var readyCommand: [String]?
  public var createdAt: Date
  /// Where the snapshot's files are.
  public var directory: String
  public var kernel: GuestKernel
  public var initramfs: String
  /// Set when its guests run the lifecycle hooks (see ``TemplateHooks``).
  public var hooks: TemplateHooks?
  /// Started in the guest before the ready command; kept running in clones.
  public var services: [GuestService]?
}
