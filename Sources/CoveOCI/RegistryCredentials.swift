import Foundation

/// A user name and password (or token) for a registry.
public struct RegistryCredential: Sendable, Equatable {
  public var username: String
  public var password: String

  public init(username: String, password: String) {
    self.username = username
    self.password = password
  }

  var basicAuthorization: String { "Basic " + Data("\(username):\(password)".utf8).base64EncodedString() }
}

/// Where credentials come from: ones given on the command line first, then
/// Docker's `config.json` (`auths` entries with `auth` or `username` and
/// `password`). Credential helpers (`credsStore`, `credHelpers`) are not
/// run: they are programs Cove would have to trust.
public struct RegistryCredentials: Sendable {
  var explicit: [String: RegistryCredential]
  var dockerConfig: [String: RegistryCredential]

  public init(explicit: [String: RegistryCredential] = [:], dockerConfigPath: String? = Self.defaultDockerConfigPath) {
    self.explicit = explicit
    self.dockerConfig = dockerConfigPath.flatMap { FileManager.default.contents(atPath: $0) }.map(Self.parse) ?? [:]
  }

  /// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
  public static var defaultDockerConfigPath: String? {
    if let directory = ProcessInfo.processInfo.environment["DOCKER_CONFIG"], !directory.isEmpty {
      return directory + "/config.json"
    }
    return NSHomeDirectory() + "/.docker/config.json"
  }

  /// The credential for `registry` (as written in references: `docker.io`,
  /// `host:port`).
  public func credential(for registry: String) -> RegistryCredential? {
    if let found = explicit[registry] { return found }
    for key in Self.configKeys(for: registry) {
      if let found = dockerConfig[key] { return found }
    }
    return nil
  }

  /// Docker writes Hub's entry as its old v1 URL and others as the host,
  /// sometimes with a scheme.
  static func configKeys(for registry: String) -> [String] {
    if registry == ImageReference.dockerHub {
      return ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"]
    }
    return [registry, "https://\(registry)", "http://\(registry)", "https://\(registry)/v1/"]
  }

  static func parse(_ data: Data) -> [String: RegistryCredential] {
    struct File: Decodable {
      struct Entry: Decodable {
        var auth: String?
        var username: String?
        var password: String?
      }
      var auths: [String: Entry]?
    }
    guard let file = try? JSONDecoder().decode(File.self, from: data) else { return [:] }
    var result: [String: RegistryCredential] = [:]
    for (key, entry) in file.auths ?? [:] {
      if let auth = entry.auth, let decoded = Data(base64Encoded: auth),
        let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
      {
        result[key] = RegistryCredential(
          username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
      } else if let username = entry.username, let password = entry.password {
        result[key] = RegistryCredential(username: username, password: password)
      }
    }
    return result
  }
}

/// A `WWW-Authenticate` challenge: its scheme and parameters
/// (`Bearer realm="…",service="…",scope="…"`).
struct AuthChallenge: Equatable {
  var scheme: String
  var parameters: [String: String]

  init?(parsing header: String) {
    let trimmed = header.trimmingCharacters(in: .whitespaces)
    guard let space = trimmed.firstIndex(of: " ") else {
      guard !trimmed.isEmpty else { return nil }
      scheme = trimmed.lowercased()
      parameters = [:]
      return
    }
    scheme = trimmed[..<space].lowercased()
    parameters = [:]
    var rest = trimmed[trimmed.index(after: space)...]
    while !rest.isEmpty {
      rest = rest.drop { $0 == " " || $0 == "," }
      guard let equals = rest.firstIndex(of: "=") else { break }
      let key = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
      rest = rest[rest.index(after: equals)...]
      var value = ""
      if rest.first == "\"" {
        rest = rest.dropFirst()
        var escaped = false
        while let character = rest.first {
          rest = rest.dropFirst()
          if escaped {
            value.append(character)
            escaped = false
          } else if character == "\\" {
            escaped = true
          } else if character == "\"" {
            break
          } else {
            value.append(character)
          }
        }
      } else {
        let end = rest.firstIndex(of: ",") ?? rest.endIndex
        value = rest[..<end].trimmingCharacters(in: .whitespaces)
        rest = rest[end...]
      }
      parameters[key] = value
    }
  }
}
