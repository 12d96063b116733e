import Foundation
import GRDB

/// The daemon's SQLite database: sandboxes and API keys.
public final class SandboxStore: Sendable {
  let database: DatabaseQueue

  /// Opens (or creates) the database at `path` and brings its schema up to date.
  public init(path: String) throws {
    var configuration = Configuration()
    configuration.busyMode = .timeout(5)
    database = try DatabaseQueue(path: path, configuration: configuration)
    try Self.migrator.migrate(database)
  }

  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1") { db in
      try db.create(table: SandboxRecord.databaseTableName) { table in
        table.primaryKey("id", .text)
        table.column("image", .text).notNull()
        table.column("cpus", .integer).notNull()
        table.column("memoryMiB", .integer).notNull()
        table.column("state", .text).notNull().indexed()
        table.column("createdAt", .datetime).notNull()
        table.column("expiresAt", .datetime).notNull()
        table.column("env", .jsonText).notNull()
        table.column("metadata", .jsonText).notNull()
        table.column("error", .text)
        table.column("kernel", .jsonText).notNull()
        table.column("initramfs", .text).notNull()
        table.column("rootImage", .text).notNull()
        table.column("runDirectory", .text).notNull()
      }
      try db.create(table: APIKeyRecord.databaseTableName) { table in
        table.primaryKey("id", .text)
        table.column("hash", .text).notNull().unique()
        table.column("name", .text).notNull()
        table.column("createdAt", .datetime).notNull()
      }
    }
    migrator.registerMigration("v2: templates") { db in
      try db.alter(table: SandboxRecord.databaseTableName) { table in
        table.add(column: "template", .text).indexed()
      }
      try db.create(table: TemplateRecord.databaseTableName) { table in
        table.primaryKey("name", .text)
        table.column("image", .text).notNull()
        table.column("cpus", .integer).notNull()
        table.column("memoryMiB", .integer).notNull()
        table.column("startCommand", .jsonText)
        table.column("readyCommand", .jsonText)
        table.column("createdAt", .datetime).notNull()
        table.column("directory", .text).notNull()
        table.column("kernel", .jsonText).notNull()
        table.column("initramfs", .text).notNull()
      }
    }
    migrator.registerMigration("v3: suspend") { db in
      try db.alter(table: SandboxRecord.databaseTableName) { table in
        table.add(column: "suspendedAt", .datetime)
      }
    }
    migrator.registerMigration("v4: hooks and services") { db in
      try db.alter(table: TemplateRecord.databaseTableName) { table in
        table.add(column: "hooks", .jsonText)
        table.add(column: "services", .jsonText)
      }
    }
    return migrator
  }

  // MARK: Templates

  public func insert(_ template: TemplateRecord) async throws {
    try await database.write { db in try template.insert(db) }
  }

  public func template(_ name: String) async throws -> TemplateRecord? {
    try await database.read { db in try TemplateRecord.fetchOne(db, key: name) }
  }

  public func templates() async throws -> [TemplateRecord] {
    try await database.read { db in try TemplateRecord.order(Column("createdAt")).fetchAll(db) }
  }

  /// Removes the template unless a sandbox that has a VM was cloned from it;
  /// returns those sandboxes' ids instead when there are any.
  public func delete(template name: String) async throws -> [String] {
    try await database.write { db in
      let users = try SandboxRecord.filter(Column("template") == name)
        .filter(SandboxState.allCases.filter(\.isLive).map(\.rawValue).contains(SandboxRecord.Columns.state))
        .fetchAll(db).map(\.id)
      if users.isEmpty { try TemplateRecord.deleteOne(db, key: name) }
      return users
    }
  }

  // MARK: Sandboxes

  public func insert(_ record: SandboxRecord) async throws {
    try await database.write { db in try record.insert(db) }
  }

  /// The one way a sandbox's row changes: read, changed by `change`, and
  /// written back in one transaction. Its state moves only through
  /// ``SandboxState/transition(to:)`` inside `change`, so the table of legal
  /// moves holds for every writer, recovery included.
  func modify(_ id: String, _ change: @Sendable (inout SandboxRecord) throws -> Void) async throws -> SandboxRecord {
    try await database.write { db in
      guard var record = try SandboxRecord.fetchOne(db, key: id) else { throw SandboxError.notFound(id) }
      try change(&record)
      try record.update(db)
      return record
    }
  }

  public func delete(sandbox id: String) async throws {
    _ = try await database.write { db in try SandboxRecord.deleteOne(db, key: id) }
  }

  public func sandbox(_ id: String) async throws -> SandboxRecord? {
    try await database.read { db in try SandboxRecord.fetchOne(db, key: id) }
  }

  /// All sandboxes, oldest first, optionally only those in `states`.
  public func sandboxes(in states: Set<SandboxState>? = nil) async throws -> [SandboxRecord] {
    try await database.read { db in
      var request = SandboxRecord.order(SandboxRecord.Columns.createdAt)
      if let states { request = request.filter(states.map(\.rawValue).contains(SandboxRecord.Columns.state)) }
      return try request.fetchAll(db)
    }
  }

  // MARK: API keys

  public func insert(_ key: APIKeyRecord) async throws {
    try await database.write { db in try key.insert(db) }
  }

  public func key(hash: String) async throws -> APIKeyRecord? {
    try await database.read { db in try APIKeyRecord.filter(Column("hash") == hash).fetchOne(db) }
  }

  public func keys() async throws -> [APIKeyRecord] {
    try await database.read { db in try APIKeyRecord.order(Column("createdAt")).fetchAll(db) }
  }

  /// Removes the key; false when there was none with that id.
  public func delete(key id: String) async throws -> Bool {
    try await database.write { db in try APIKeyRecord.deleteOne(db, key: id) }
  }
}
