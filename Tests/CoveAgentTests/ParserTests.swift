import CoveAgent
import CoveAgentProto
import Testing

@testable import CoveAgent

@Suite("Parsers of the init and user parts")
struct ParserTests {
  @Test("the module list keeps order, skips comments, resolves relative paths")
  func moduleList() {
    let list = ModuleList(
      parsing: "# virtio first\nkernel/virtio_ring.ko\n\n  kernel/virtio.ko  \n/abs/virtio_mmio.ko\n",
      relativeTo: "/lib/modules")
    #expect(
      list.paths == ["/lib/modules/kernel/virtio_ring.ko", "/lib/modules/kernel/virtio.ko", "/abs/virtio_mmio.ko"])
    #expect(ModuleList(parsing: "", relativeTo: "/").paths.isEmpty)
  }

  @Test("users are found by name or uid with their groups")
  func users() {
    let passwd = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\nbroken line\n"
    let group = "root:x:0:\nalice:x:1000:\ndocker:x:999:bob,alice\n"
    let alice = UserDatabase.lookup("alice", passwd: passwd, group: group)
    #expect(
      alice
        == GuestUser(name: "alice", uid: 1000, gid: 1000, home: "/home/alice", shell: "/bin/sh", groups: [1000, 999]))
    #expect(UserDatabase.lookup("0", passwd: passwd, group: group)?.name == "root")
    #expect(UserDatabase.lookup("4242", passwd: passwd, group: group)?.uid == 4242)
    #expect(UserDatabase.lookup("nobody-here", passwd: passwd, group: group) == nil)
  }

  @Test("inotify records become watch events, also when names are padded")
  func inotify() throws {
    func record(mask: UInt32, name: String) -> [UInt8] {
      var nameBytes = Array(name.utf8) + [0]
      while nameBytes.count % 16 != 0 { nameBytes.append(0) }
      func le(_ v: UInt32) -> [UInt8] {
        [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)]
      }
      return le(1) + le(mask) + le(0) + le(UInt32(nameBytes.count)) + nameBytes
    }
    let bytes = record(mask: 0x100, name: "new") + record(mask: 0x4000_0200, name: "gone") + [1, 2, 3]
    let events = InotifyEvent.parse(bytes, directory: try GuestPath("/w"))
    #expect(events.map(\.kind) == [.create, .remove])
    #expect(events.map(\.path) == ["/w/new", "/w/gone"])
    #expect(events[1].isDirectory)
  }

  @Test("paths are normalized lexically before any guard sees them")
  func pathNormalization() throws {
    for root in ["/", "//", "/.", "/..", "/./", "/proc/..", "///./../.", "/a/b/../../", "/a/./../b/.."] {
      #expect(try GuestPath(root).isRoot, "\(root)")
    }
    #expect(try GuestPath("/tmp//x/./y/../z/").text == "/tmp/x/z")
    #expect(try GuestPath("/a/b").parent.text == "/a")
    #expect(try GuestPath("/a").parent.isRoot)
    #expect(GuestPath.root.appending(Array("etc".utf8)).text == "/etc")
    #expect(throws: AgentError.self) { try GuestPath("relative") }
    #expect(throws: AgentError.self) { try GuestPath("/a\u{0}b") }
  }

  @Test("names that are not UTF-8 are escaped reversibly, and so are the escape characters")
  func nameEscaping() {
    let samples: [[UInt8]] = [
      Array("plain é 漢字".utf8), [0x66, 0xFF, 0x2E], [0xC3], [0xED, 0xA0, 0x80],  // a lone surrogate
      Array("\u{F7A9}".utf8), [0xE2, 0x82], Array("a\u{F780}".utf8) + [0x80, 0x41],
    ]
    for bytes in samples {
      let text = NameEscaping.encode(bytes[...])
      #expect(NameEscaping.decode(text) == bytes, "\(bytes) -> \(text.unicodeScalars.map(\.value))")
    }
    #expect(NameEscaping.encode(Array("plain é".utf8)[...]) == "plain é")
    #expect(NameEscaping.encode([0x66, 0xFF][...]) == "f\u{F7FF}")
  }

  @Test("PATH lookup finds executables and leaves unknown names alone")
  func pathLookup() {
    #expect(LaunchPlan.resolve("sh", searchPath: "/nonexistent:/bin:/usr/bin").hasSuffix("/sh"))
    #expect(LaunchPlan.resolve("no-such-thing", searchPath: "/bin") == "no-such-thing")
    #expect(LaunchPlan.resolve("./x", searchPath: "/bin") == "./x")
  }

  @Test("the network setting is read from the kernel command line")
  func networkSetting() {
    let full = GuestNetwork(commandLine: "console=ttyS0 cove.net=10.0.2.15/24,10.0.2.2,10.0.2.3 quiet\n")
    #expect(full?.address == "10.0.2.15" && full?.prefix == 24)
    #expect(full?.gateway == "10.0.2.2" && full?.nameserver == "10.0.2.3")
    let bare = GuestNetwork(commandLine: "cove.net=192.168.1.5/16")
    #expect(bare?.gateway == nil && bare?.nameserver == nil && bare?.prefix == 16)
    #expect(GuestNetwork(commandLine: "console=ttyS0 quiet") == nil)
    #expect(GuestNetwork(commandLine: "cove.net=10.0.2.15") == nil)
    #expect(GuestNetwork(commandLine: "cove.net=10.0.2.15/33,10.0.2.2") == nil)
  }
}
