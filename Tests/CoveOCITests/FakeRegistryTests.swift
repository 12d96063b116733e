import CoveImages
import CoveOCI
import Foundation
import Testing

@Suite("The token flow and registries that lie (a registry of the test's own)")
struct FakeRegistryTests {
  @Test("a Bearer challenge sends Cove to the token service with the credentials, then the token opens the registry")
  func tokenFlow() async throws {
    let layout = try await TestImages.layout()
    let fake = try FakeRegistry(layout: layout, account: ("robot", "pass"))
    defer { fake.stop() }
    let home = CoveHome(root: try temporaryDirectory("home"))
    defer { try? FileManager.default.removeItem(atPath: home.root) }
    let store = ImageStore(home: home)
    let reference = try ImageReference(parsing: "\(fake.address)/cove/app:distroless")
    let anonymous = RegistryCredentials(dockerConfigPath: nil)
    await #expect {
      try await store.pull(reference, named: "app", options: .init(insecure: true, credentials: anonymous))
    } throws: { error in
      let error = error as? OCIError
      return error?.code == .unauthorized && error?.message.contains("refused anonymous access") == true
    }
    let credentials = RegistryCredentials(explicit: [fake.address: .init(username: "robot", password: "pass")])
    let image = try await store.pull(
      reference, named: "app", options: .init(insecure: true, credentials: credentials))
    #expect(image.config?.entrypoint == ["/hello"])
    let tokens = fake.requests.filter { $0.hasPrefix("/token") }
    #expect(tokens.count == 2, "one refused, then one token kept for every later request")
    #expect(tokens.last?.contains("scope=repository:cove/app:pull") == true)
  }

  @Test("a blob whose bytes do not match its digest is refused and leaves nothing in the cache or the store")
  func wrongDigest() async throws {
    try await expectLie(.wrongBytes, code: .digestMismatch)
  }

  @Test("a blob that stops short is refused and leaves nothing in the cache or the store")
  func truncated() async throws {
    try await expectLie(.truncated, code: .sizeMismatch)
  }

  func expectLie(_ lie: FakeRegistry.Lie, code: OCIError.Code) async throws {
    let layout = try await TestImages.layout()
    let fake = try FakeRegistry(layout: layout, lie: lie)
    defer { fake.stop() }
    let home = CoveHome(root: try temporaryDirectory("home"))
    defer { try? FileManager.default.removeItem(atPath: home.root) }
    let store = ImageStore(home: home)
    await #expect {
      try await store.pull(
        try ImageReference(parsing: "\(fake.address)/cove/app:distroless"), named: "app",
        options: .init(insecure: true))
    } throws: { ($0 as? OCIError)?.code == code }
    let cached = (try? FileManager.default.contentsOfDirectory(atPath: store.blobs.root + "/sha256")) ?? []
    let layers = try cached.map { try Digest(parsing: "sha256:" + $0) }.filter {
      (store.blobs.size(of: $0) ?? 0) > 4096
    }
    #expect(layers.isEmpty, "the bad layer is not in the cache")
    #expect((try? FileManager.default.contentsOfDirectory(atPath: store.blobs.root + "/.partial")) ?? [] == [])
    #expect(store.list().isEmpty)
  }

  @Test("a layer over the size limit is refused before it is fetched")
  func sizeLimit() async throws {
    let layout = try await TestImages.layout()
    let fake = try FakeRegistry(layout: layout)
    defer { fake.stop() }
    let home = CoveHome(root: try temporaryDirectory("home"))
    defer { try? FileManager.default.removeItem(atPath: home.root) }
    await #expect {
      try await ImageStore(home: home).pull(
        try ImageReference(parsing: "\(fake.address)/cove/app:distroless"), named: "app",
        options: .init(insecure: true, maxBlobSize: 1000))
    } throws: { ($0 as? OCIError)?.code == .tooLarge }
    #expect(fake.requests.filter { $0.contains("/blobs/") }.count == 1, "only the small configuration was fetched")
  }
}
