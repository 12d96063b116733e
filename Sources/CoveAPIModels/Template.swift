import Foundation

/// A template: a snapshot of a booted guest that sandboxes are cloned from.
/// Sent to create one (an empty image means the daemon's default), and
/// shown by the API with its creation time.
public struct Template: Codable, Sendable, Equatable {
  public var name: String
  public var image: String
  public var cpus: Int
  public var memoryMiB: Int
  public var startCmd: [String]?
  public var readyCmd: [String]?
  public var hooks: TemplateHooks?
  public var services: [GuestService]?
  public var createdAt: Date?

  public init(
    name: String, image: String? = nil, cpus: Int = 1, memoryMiB: Int = 256, startCmd: [String]? = nil,
    readyCmd: [String]? = nil, hooks: TemplateHooks? = nil, services: [GuestService]? = nil, createdAt: Date? = nil
  ) {
    self.name = name
    self.image = image ?? ""
    self.cpus = cpus
    self.memoryMiB = memoryMiB
    self.startCmd = startCmd
    self.readyCmd = readyCmd
    self.hooks = hooks
    self.services = services
    self.createdAt = createdAt
  }

  enum CodingKeys: String, CodingKey {
    case name, image, cpus, hooks, services
    case memoryMiB = "memory_mib"
    case startCmd = "start_cmd"
    case readyCmd = "ready_cmd"
    case createdAt = "created_at"
  }

  /// An empty image goes out as none: the daemon's default.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(name, forKey: .name)
    if !image.isEmpty { try container.encode(image, forKey: .image) }
    try container.encode(cpus, forKey: .cpus)
    try container.encode(memoryMiB, forKey: .memoryMiB)
    try container.encodeIfPresent(startCmd, forKey: .startCmd)
    try container.encodeIfPresent(readyCmd, forKey: .readyCmd)
    try container.encodeIfPresent(hooks, forKey: .hooks)
    try container.encodeIfPresent(services, forKey: .services)
    try container.encodeIfPresent(createdAt, forKey: .createdAt)
  }
}

public struct TemplateList: Codable, Sendable, Equatable {
  public var templates: [Template]
  public init(templates: [Template]) { self.templates = templates }
}
