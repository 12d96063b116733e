import CoveImages
import CoveMachine
import Foundation
import Testing

@Suite("Guest images, kernels and the initramfs")
struct ImageTests {
  @Test("the cpio writer's archive unpacks with the real cpio tool, byte for byte")
  func cpioRoundTrip() throws {
    var archive = CPIOArchive()
    archive.append(.directory("dir"))
    archive.append(.file("dir/one", Data("first\n".utf8), mode: 0o755))
    archive.append(.file("odd-size", Data((0..<1001).map { UInt8($0 % 251) })))
    archive.append(.symlink("link", target: "dir/one"))
    let directory = NSTemporaryDirectory() + "cove-cpio-\(UUID().uuidString.prefix(6))"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try archive.finished().write(to: URL(fileURLWithPath: directory + "/a.cpio"))
    let cpio = Process()
    cpio.executableURL = URL(fileURLWithPath: "/bin/sh")
    cpio.arguments = ["-c", "mkdir out && cd out && cpio -i --quiet --no-absolute-filenames < ../a.cpio"]
    cpio.currentDirectoryURL = URL(fileURLWithPath: directory)
    try cpio.run()
    cpio.waitUntilExit()
    #expect(cpio.terminationStatus == 0)
    let out = directory + "/out"
    #expect(FileManager.default.contents(atPath: out + "/dir/one") == Data("first\n".utf8))
    #expect(FileManager.default.contents(atPath: out + "/odd-size") == Data((0..<1001).map { UInt8($0 % 251) }))
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/link") == "dir/one")
    let mode = try FileManager.default.attributesOfItem(atPath: out + "/dir/one")[.posixPermissions] as? Int
    #expect(mode == 0o755)
  }

  @Test("module dependencies come from .modinfo and load first")
  func moduleOrder() throws {
    let tree = NSTemporaryDirectory() + "cove-modules-\(UUID().uuidString.prefix(6))"
    defer { try? FileManager.default.removeItem(atPath: tree) }
    try FileManager.default.createDirectory(atPath: tree + "/kernel/a", withIntermediateDirectories: true)
    func module(_ name: String, depends: String) throws {
      let body = Data("\u{7f}ELF junk\0license=GPL\0depends=\(depends)\0name=\(name)\0".utf8)
      try body.write(to: URL(fileURLWithPath: "\(tree)/kernel/a/\(name).ko"))
    }
    try module("virtio_ring", depends: "")
    try module("virtio", depends: "virtio_ring")
    try module("virtio_mmio", depends: "virtio,virtio_ring")
    try module("virtio-rng", depends: "virtio,virtio_ring")
    let order = try KernelModules(tree: tree).loadOrder(for: ["virtio_mmio", "virtio_rng"])
    #expect(
      order.map { URL(fileURLWithPath: $0).lastPathComponent } == [
        "virtio_ring.ko", "virtio.ko", "virtio_mmio.ko", "virtio-rng.ko",
      ])
    #expect(throws: ImageError.moduleMissing("virtio_blk")) {
      try KernelModules(tree: tree).loadOrder(for: ["virtio_blk"])
    }
  }

  @Test("an image from a directory holds its files; names are checked; remove removes")
  func imageFromDirectory() async throws {
    let home = CoveHome(root: NSTemporaryDirectory() + "cove-home-\(UUID().uuidString.prefix(6))")
    defer { try? FileManager.default.removeItem(atPath: home.root) }
    let source = home.root + "/src"
    try FileManager.default.createDirectory(atPath: source + "/etc", withIntermediateDirectories: true)
    try Data("hello image\n".utf8).write(to: URL(fileURLWithPath: source + "/etc/greeting"))
    let store = ImageStore(home: home)
    let image = try await store.build(named: "tiny", fromDirectory: source, headroom: 8 << 20)
    #expect(store.list().map(\.name) == ["tiny"])
    let debugfs = Process()
    let pipe = Pipe()
    debugfs.executableURL = URL(fileURLWithPath: "/sbin/debugfs")
    debugfs.arguments = ["-R", "cat /etc/greeting", image.path]
    debugfs.standardOutput = pipe
    debugfs.standardError = FileHandle.nullDevice
    try debugfs.run()
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    debugfs.waitUntilExit()
    #expect(text == "hello image\n")

    await #expect(throws: ImageError.imageExists("tiny")) {
      try await store.build(named: "tiny", fromDirectory: source)
    }
    await #expect(throws: ImageError.invalidName("../evil")) {
      try await store.build(named: "../evil", fromDirectory: source)
    }
    await #expect(throws: ImageError.invalidSource("/nonexistent is not a directory")) {
      try await store.build(named: "other", fromDirectory: "/nonexistent")
    }
    try store.remove(named: "tiny")
    #expect(store.list().isEmpty)
    #expect(!FileManager.default.fileExists(atPath: image.path))
    #expect(throws: ImageError.imageNotFound("tiny", available: [])) { try store.remove(named: "tiny") }
  }

  @Test("the accelerator is KVM only with vmx or svm and a usable /dev/kvm; COVE_ACCEL overrides")
  func accelerator() {
    let vmx = "processor: 0\nflags\t\t: fpu vme vmx sse\n"
    let plain = "processor: 0\nflags\t\t: fpu vme sse\n"
    #expect(Accelerator.detect(environment: [:], cpuinfo: vmx, kvmUsable: true) == .kvm)
    #expect(Accelerator.detect(environment: [:], cpuinfo: vmx, kvmUsable: false) == .tcg)
    #expect(Accelerator.detect(environment: [:], cpuinfo: plain, kvmUsable: true) == .tcg)
    #expect(Accelerator.detect(environment: ["COVE_ACCEL": "tcg"], cpuinfo: vmx, kvmUsable: true) == .tcg)
  }
}
