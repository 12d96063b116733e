import CoveImages
import CoveOCI
import Foundation
import Testing

/// Records what a pull reported.
final class EventLog: @unchecked Sendable {
  private let lock = NSLock()
  private var list: [PullEvent] = []
  var handler: PullProgress { { [self] event in lock.withLock { list.append(event) } } }
  var events: [PullEvent] { lock.withLock { list } }
  var fetched: [Digest] {
    events.compactMap {
      if case .fetched(let digest, _) = $0 { return digest }
      return nil
    }
  }
  var cached: [Digest] {
    events.compactMap {
      if case .cached(let digest, _) = $0 { return digest }
      return nil
    }
  }
}

/// Reads a finished ext4 image with debugfs, as the guest would see it.
struct Ext4Image {
  let path: String

  func run(_ request: String) async throws -> String {
    try await sh("debugfs -R \"$1\" \"$2\" 2>/dev/null", request, path)
  }
  func cat(_ file: String) async throws -> String { try await run("cat \(file)") }
  func exists(_ file: String) async throws -> Bool {
    !(try await sh("debugfs -R \"stat $1\" \"$2\" 2>&1", file, path)).contains("File not found")
  }
  func stat(_ file: String) async throws -> String { try await run("stat \(file)") }
}

@Suite("Pulling images from a real registry (docker-registry on loopback)")
struct PullTests {
  @Test(
    "an index resolves to linux/amd64; gzip, zstd and plain layers unpack with whiteouts, links, setuid, owners, devices and capabilities"
  )
  func pullFeatures() async throws {
    let layout = try await TestImages.layout()
    let registry = try await TestRegistry.start()
    defer { registry.stop() }
    try await layout.push(tag: "features", to: "\(registry.address)/cove/features:1")
    let home = CoveHome(root: try temporaryDirectory("home"))
    defer { try? FileManager.default.removeItem(atPath: home.root) }
    let store = ImageStore(home: home)
    let log = EventLog()
    let image = try await store.pull(
      try ImageReference(parsing: "\(registry.address)/cove/features:1"), named: "features",
      options: .init(insecure: true), progress: log.handler)

    #expect(log.fetched.count == 3)
    let ext4 = Ext4Image(path: image.path)
    #expect(try await ext4.exists("/bin/busybox"))
    #expect(try await ext4.cat("/etc/arch").isEmpty, "the arm64 image's file must not be there")
    #expect(try await !ext4.exists("/etc/gone.txt"), "a whiteout removes a lower file")
    #expect(try await !ext4.exists("/usr/share/doomed"), "a whiteout removes a lower directory")
    #expect(try await !ext4.exists("/etc/keep/a.txt"), "an opaque directory hides the lower contents")
    #expect(try await ext4.cat("/etc/keep/new.txt") == "upper\n", "and keeps its own")
    #expect(try await !ext4.exists("/etc/.wh.gone.txt"), "whiteout markers are not files of the image")
    let data = try await ext4.stat("/opt/data")
    let link = try await ext4.stat("/opt/data-link")
    #expect(data.contains("Links: 2") && link.contains("Links: 2"), "a hard link stays one inode")
    #expect(inode(data) == inode(link))
    #expect(try await ext4.stat("/usr/local/bin/suid").contains("Mode:  04755"))
    let owned = try await ext4.stat("/home/app/owned")
    #expect(owned.contains("User:  1000") && owned.contains("Group:  1000") && owned.contains("Mode:  0640"))
    #expect(try await ext4.stat("/opt/null").contains("Type: character special"))
    #expect(try await ext4.run("ea_list /usr/local/bin/capped").contains("security.capability"))
    #expect(try await ext4.run("stat /sbin/init").contains("Fast link dest: \"/lib/systemd/systemd\""))
    #expect(try await ext4.exists("/usr/bin/hello-musl"))

    let config = try #require(image.config)
    #expect(config.entrypoint == ["/bin/sh", "-c"])
    #expect(config.workingDir == "/work" && config.user == "app" && config.exposedPorts == ["8080/tcp"])
    #expect(config.environment["GREETING"] == "hello from the image")
    #expect(try store.image(named: "features").config == config, "the configuration is kept in the record")
    let partials = (try? FileManager.default.contentsOfDirectory(atPath: store.blobs.root + "/.partial")) ?? []
    #expect(partials.isEmpty)
  }

  @Test("a second image sharing a base fetches only its new layer; blobs are verified and kept once")
  func cacheSharesLayers() async throws {
    let layout = try await TestImages.layout()
    let registry = try await TestRegistry.start()
    defer { registry.stop() }
    try await layout.push(tag: "features", to: "\(registry.address)/cove/features:1")
    try await layout.push(tag: "features-extra", to: "\(registry.address)/cove/extra:1")
    let home = CoveHome(root: try temporaryDirectory("home"))
    defer { try? FileManager.default.removeItem(atPath: home.root) }
    let store = ImageStore(home: home)
    let options = RegistryClient.Options(insecure: true)
    try await store.pull(
      try ImageReference(parsing: "\(registry.address)/cove/features:1"), named: "one", options: options)
    let log = EventLog()
    try await store.pull(
      try ImageReference(parsing: "\(registry.address)/cove/extra:1"), named: "two", options: options,
      progress: log.handler)
    #expect(log.cached.count == 2, "the two base layers come from the cache")
    #expect(log.fetched.count == 1, "only the new layer is fetched")
    for digest in log.cached + log.fetched {
      #expect(Digest(hashing: try store.blobs.data(digest)) == digest)
    }
    #expect(store.list().map(\.name) == ["one", "two"])
  }

  @Test("htpasswd basic auth: refused without credentials, pulled with them from config.json")
  func basicAuth() async throws {
    let layout = try await TestImages.layout()
    let registry = try await TestRegistry.start(user: ("cove", "s3cret"))
    defer { registry.stop() }
    try await layout.push(tag: "distroless", to: "\(registry.address)/cove/app:1", credentials: "cove:s3cret")
    let home = CoveHome(root: try temporaryDirectory("home"))
    defer { try? FileManager.default.removeItem(atPath: home.root) }
    let store = ImageStore(home: home)
    let reference = try ImageReference(parsing: "\(registry.address)/cove/app:1")
    let none = RegistryCredentials(dockerConfigPath: nil)
    await #expect {
      try await store.pull(reference, named: "app", options: .init(insecure: true, credentials: none))
    } throws: { ($0 as? OCIError)?.code == .unauthorized }
    let wrong = RegistryCredentials(explicit: [registry.address: .init(username: "cove", password: "nope")])
    await #expect {
      try await store.pull(reference, named: "app", options: .init(insecure: true, credentials: wrong))
    } throws: { ($0 as? OCIError)?.code == .unauthorized }
    let config = home.root + "/docker-config.json"
    let auth = Data("cove:s3cret".utf8).base64EncodedString()
    try Data(#"{"auths":{"\#(registry.address)":{"auth":"\#(auth)"}}}"#.utf8).write(to: URL(fileURLWithPath: config))
    let image = try await store.pull(
      reference, named: "app",
      options: .init(insecure: true, credentials: RegistryCredentials(dockerConfigPath: config)))
    #expect(image.config?.entrypoint == ["/hello"])
    #expect(store.blobs.usage().count > 0)
  }

  @Test("an unknown tag and an unknown repository name what is missing")
  func unknownReference() async throws {
    let layout = try await TestImages.layout()
    let registry = try await TestRegistry.start()
    defer { registry.stop() }
    try await layout.push(tag: "distroless", to: "\(registry.address)/cove/app:1")
    let home = CoveHome(root: try temporaryDirectory("home"))
    defer { try? FileManager.default.removeItem(atPath: home.root) }
    let store = ImageStore(home: home)
    for name in ["cove/app:2", "cove/nothing:1"] {
      await #expect {
        try await store.pull(
          try ImageReference(parsing: "\(registry.address)/\(name)"), named: "x", options: .init(insecure: true))
      } throws: { error in
        let error = error as? OCIError
        return error?.code == .notFound && error?.message.contains("not found") == true
      }
    }
    #expect(store.list().isEmpty)
  }
}

func inode(_ stat: String) -> Substring? {
  stat.split(separator: "\n").first?.split(separator: " ").dropFirst().first
}
