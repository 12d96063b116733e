import CoveImages
import Foundation
import Testing

@testable import CoveOCI

@Suite("References, authentication challenges and unpacking layers")
struct UnpackTests {
  @Test("references read as Docker reads them")
  func references() throws {
    let hub = try ImageReference(parsing: "alpine")
    #expect(hub.registry == "docker.io" && hub.repository == "library/alpine" && hub.tag == "latest")
    #expect(hub.apiHost == "registry-1.docker.io")
    let local = try ImageReference(parsing: "127.0.0.1:5000/team/app:v1.2")
    #expect(local.registry == "127.0.0.1:5000" && local.repository == "team/app" && local.tag == "v1.2")
    let pinned = try ImageReference(parsing: "ghcr.io/o/r@sha256:" + String(repeating: "a", count: 64))
    #expect(pinned.tag == nil && pinned.manifestReference.hasPrefix("sha256:aaaa"))
    let user = try ImageReference(parsing: "someone/tool")
    #expect(user.repository == "someone/tool" && user.registry == "docker.io")
    for bad in ["", "UPPER/case", "a//b", "x:", "x@sha256:12"] {
      #expect(throws: OCIError.self) { try ImageReference(parsing: bad) }
    }
    #expect(ImageStore.defaultName(for: try ImageReference(parsing: "python:3.12-slim")) == "python-3.12-slim")
    #expect(ImageStore.defaultName(for: hub) == "alpine")
    #expect(ImageStore.defaultName(for: try ImageReference(parsing: "r.example/team/app:V2_RC")) == "app-v2_rc")
  }

  @Test("a Bearer challenge's parameters, quoted commas included")
  func challenge() throws {
    let header =
      #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push""#
    let challenge = try #require(AuthChallenge(parsing: header))
    #expect(challenge.scheme == "bearer")
    #expect(challenge.parameters["realm"] == "https://auth.docker.io/token")
    #expect(challenge.parameters["scope"] == "repository:a/b:pull,push")
  }

  @Test("Docker's config.json gives credentials by registry, Hub's under its v1 URL")
  func dockerConfig() throws {
    let path = NSTemporaryDirectory() + "cove-docker-config-\(UUID().uuidString.prefix(6)).json"
    defer { try? FileManager.default.removeItem(atPath: path) }
    let hub = Data("me:tok".utf8).base64EncodedString()
    try Data(
      #"{"auths":{"https://index.docker.io/v1/":{"auth":"\#(hub)"},"r.example:5000":{"username":"u","password":"p"}}}"#
        .utf8
    ).write(to: URL(fileURLWithPath: path))
    let credentials = RegistryCredentials(dockerConfigPath: path)
    #expect(credentials.credential(for: "docker.io") == RegistryCredential(username: "me", password: "tok"))
    #expect(credentials.credential(for: "r.example:5000") == RegistryCredential(username: "u", password: "p"))
    #expect(credentials.credential(for: "other.example") == nil)
  }

  @Test("what a killed pull left in the cache is swept by the next one; a live pull's file stays")
  func partialsSwept() async throws {
    let root = try temporaryDirectory("cache")
    defer { try? FileManager.default.removeItem(atPath: root) }
    let cache = BlobCache(root: root)
    let gone = Int32(try await sh("sh -c 'echo $$'").trimmingCharacters(in: .whitespacesAndNewlines))!
    try FileManager.default.createDirectory(atPath: root + "/.partial", withIntermediateDirectories: true)
    let hex = String(repeating: "a", count: 64)
    let dead = "\(root)/.partial/\(hex).\(gone).dead"
    let live = "\(root)/.partial/\(hex).\(getppid()).live"
    for path in [dead, live] { #expect(FileManager.default.createFile(atPath: path, contents: Data("half".utf8))) }
    try cache.store(Data("whole".utf8))
    #expect(!FileManager.default.fileExists(atPath: dead))
    #expect(FileManager.default.fileExists(atPath: live))
    #expect(!cache.contains(try Digest(parsing: "sha256:" + hex)), "a partial file is never a blob")
  }

  @Test("a symlink a lower layer left cannot carry a later layer's file out of the root")
  func symlinkEscape() async throws {
    let work = try temporaryDirectory("escape")
    defer { try? FileManager.default.removeItem(atPath: work) }
    let outside = work + "/outside"
    try await sh(
      """
      set -e
      mkdir -p "$1/l1" "$1/l2/evil" "$1/root" "$1/outside"
      ln -s "$1/outside" "$1/l1/evil"
      ln -s ../../../../../../.. "$1/l1/up"
      mkdir -p "$1/l2/up"
      echo pwned > "$1/l2/evil/file"
      echo pwned > "$1/l2/up/file2"
      tar --format=posix -cf "$1/l1.tar" -C "$1/l1" .
      # l2 without its directory entries, as a hand-made archive would be
      tar --format=posix --no-recursion -cf "$1/l2.tar" -C "$1/l2" ./evil/file ./up/file2
      """, work)
    let cache = BlobCache(root: work + "/cache")
    var layers: [Descriptor] = []
    for name in ["l1.tar", "l2.tar"] {
      let data = try Data(contentsOf: URL(fileURLWithPath: "\(work)/\(name)"))
      layers.append(Descriptor(mediaType: MediaType.ociLayer, digest: try cache.store(data), size: Int64(data.count)))
    }
    _ = try await ImageUnpacker(cache: cache).unpack(layers, into: work + "/root")
    #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty, "nothing was written outside")
    #expect(FileManager.default.contents(atPath: work + "/root" + outside + "/file") == Data("pwned\n".utf8))
    #expect(
      FileManager.default.contents(atPath: work + "/root/file2") == Data("pwned\n".utf8), "`..` stops at the root")
  }

  @Test("the tar reader takes pax long names, GNU long names and base-256 ids, and refuses a bad checksum")
  func tarFormats() async throws {
    let work = try temporaryDirectory("tar")
    defer { try? FileManager.default.removeItem(atPath: work) }
    let long = String(repeating: "d", count: 120) + "/" + String(repeating: "f", count: 130)
    try await sh(
      """
      set -e
      mkdir -p "$1/src/$(dirname "$2")"
      echo long > "$1/src/$2"
      chown 3000000:3000000 "$1/src/$2"
      tar --format=posix -cf "$1/pax.tar" -C "$1/src" .
      tar --format=gnu -cf "$1/gnu.tar" -C "$1/src" .
      """, work, long)
    for format in ["pax", "gnu"] {
      let fd = open("\(work)/\(format).tar", O_RDONLY)
      defer { close(fd) }
      let reader = TarReader(fd: fd)
      var found: TarEntry?
      while let entry = try reader.next() {
        if entry.kind == .file { found = entry }
      }
      #expect(found?.path == "./" + long, "\(format)")
      #expect(found?.uid == 3_000_000, "\(format)")
    }
    var bytes = try Data(contentsOf: URL(fileURLWithPath: work + "/gnu.tar"))
    bytes[0] ^= 0x01
    try bytes.write(to: URL(fileURLWithPath: work + "/bad.tar"))
    let fd = open(work + "/bad.tar", O_RDONLY)
    defer { close(fd) }
    #expect { _ = try TarReader(fd: fd).next() } throws: { ($0 as? OCIError)?.code == .invalidContent }
  }
}
