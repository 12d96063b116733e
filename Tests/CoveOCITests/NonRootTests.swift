import Foundation
import Testing

@Suite("An import without root")
struct NonRootTests {
  /// The `cove` command built beside the tests (`swift build --build-tests`
  /// builds it), or `$COVE_BINARY`.
  static var cove: String {
    ProcessInfo.processInfo.environment["COVE_BINARY"] ?? BootTests.packageRoot + "/.build/debug/cove"
  }

  @Test(
    "as nobody, owners, setuid bits and device nodes still end up in the ext4 (debugfs sets them); capabilities are lost with a warning"
  )
  func importAsNobody() async throws {
    let layout = try await TestImages.layout()
    let work = try temporaryDirectory("nonroot")
    defer { try? FileManager.default.removeItem(atPath: work) }
    try await sh("cp -a \"$1\" \"$2/layout\" && chown -R 65534:65534 \"$2\" && chmod 755 \"$2\"", layout.root, work)
    let output = try await sh(
      "setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=\"$2\" COVE_HOME=\"$2/home\" \"$1\" image import \"$2/layout\" --tag features --name feat 2>&1",
      Self.cove, work)
    #expect(output.contains("security.capability"), "the lost capability is named: \(output)")
    let ext4 = Ext4Image(path: work + "/home/images/feat.ext4")
    let suid = try await ext4.stat("/usr/local/bin/suid")
    #expect(suid.contains("Mode:  04755") && suid.contains("User:     0"))
    let owned = try await ext4.stat("/home/app/owned")
    #expect(owned.contains("User:  1000") && owned.contains("Mode:  0640"))
    #expect(try await ext4.stat("/bin/busybox").contains("User:     0"), "not nobody's uid")
    #expect(try await ext4.stat("/opt/null").contains("Type: character special"))
    #expect(try await ext4.run("ls /").contains("/opt") == false, "no stray entries in /")
    #expect(try await ext4.cat("/opt/sealed/file") == "inside\n", "a directory without write access is filled")
    #expect(try await ext4.stat("/opt/sealed").contains("Mode:  0555"), "and gets its mode")
  }
}
