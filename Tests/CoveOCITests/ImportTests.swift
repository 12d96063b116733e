import CoveImages
import CoveOCI
import Foundation
import Testing

@Suite("Importing docker save archives and OCI layouts")
struct ImportTests {
  @Test("a docker save archive (uncompressed layer tars, manifest.json) imports with its configuration")
  func dockerSave() async throws {
    let work = try temporaryDirectory("save")
    defer { try? FileManager.default.removeItem(atPath: work) }
    try await sh(
      """
      set -e
      mkdir -p "$1/a/etc" "$1/b/etc" "$1/save/l1" "$1/save/l2"
      echo one > "$1/a/etc/one"; echo two > "$1/a/etc/two"
      touch "$1/b/etc/.wh.two"; echo three > "$1/b/etc/three"
      tar --format=posix -cf "$1/save/l1/layer.tar" -C "$1/a" .
      tar --format=posix -cf "$1/save/l2/layer.tar" -C "$1/b" .
      printf '%s' '{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/true"],"Env":["A=1"]}}' > "$1/save/cfg.json"
      printf '%s' '[{"Config":"cfg.json","RepoTags":["cove/saved:1"],"Layers":["l1/layer.tar","l2/layer.tar"]}]' > "$1/save/manifest.json"
      tar -cf "$1/saved.tar" -C "$1/save" .
      """, work)
    let home = CoveHome(root: work + "/home")
    let store = ImageStore(home: home)
    let image = try await store.importArchive(work + "/saved.tar", named: "saved")
    let ext4 = Ext4Image(path: image.path)
    #expect(try await ext4.cat("/etc/one") == "one\n")
    #expect(try await !ext4.exists("/etc/two"))
    #expect(try await ext4.cat("/etc/three") == "three\n")
    #expect(image.config?.cmd == ["/bin/true"] && image.config?.env == ["A=1"])
    #expect(image.source.contains("cove/saved:1"))
  }

  @Test("an OCI layout imports as a directory and as a tar; a tag picks the image, an index picks linux/amd64")
  func ociLayout() async throws {
    let layout = try await TestImages.layout()
    let home = CoveHome(root: try temporaryDirectory("home"))
    defer { try? FileManager.default.removeItem(atPath: home.root) }
    let store = ImageStore(home: home)
    let direct = try await store.importArchive(layout.root, named: "direct", select: "distroless")
    #expect(direct.config?.entrypoint == ["/hello"])
    try await sh("tar -cf \"$1\" -C \"$2\" .", home.root + "/layout.tar", layout.root)
    let packed = try await store.importArchive(home.root + "/layout.tar", named: "packed", select: "features")
    #expect(packed.config?.workingDir == "/work")
    #expect(try await Ext4Image(path: packed.path).cat("/etc/keep/new.txt") == "upper\n")
    await #expect {
      try await store.importArchive(layout.root, named: "none", select: "missing")
    } throws: { ($0 as? OCIError)?.code == .notFound }
  }

  @Test("a damaged OCI layout (a blob that does not match its name) is refused")
  func damagedLayout() async throws {
    let layout = try await TestImages.layout()
    let work = try temporaryDirectory("damaged")
    defer { try? FileManager.default.removeItem(atPath: work) }
    try await sh("cp -a \"$1\" \"$2/layout\"", layout.root, work)
    // Damage every layer (the blobs over 10 kB), one byte each.
    try await sh(
      "for f in $(find \"$1/layout/blobs\" -type f -size +10k); do printf X | dd of=\"$f\" bs=1 seek=100 conv=notrunc 2>/dev/null; done",
      work)
    let store = ImageStore(home: CoveHome(root: work + "/home"))
    await #expect {
      try await store.importArchive(work + "/layout", named: "bad", select: "features")
    } throws: { ($0 as? OCIError)?.code == .digestMismatch }
    #expect(store.list().isEmpty)
  }
}
