import CoveAPIModels
import CoveClient
import Foundation
import Testing

/// What the guest interface carries from the agent to the API, in a real VM.
@Suite("the guest interface, end to end", .serialized, .timeLimit(.minutes(10)))
struct GuestInterfaceTests {
  @Test("a full guest disk is 507, by the errno the agent sends; a killed command exits 128 + signal")
  func errorsAndExits() async throws {
    let daemon = try await TestDaemon()
    defer { daemon.finish() }
    let sandbox = try await daemon.client.createSandbox(CreateSandbox(image: "busybox"))
    let mounted = try await daemon.client.exec(
      sandbox.id,
      Command(["sh", "-c", "mkdir -p /mnt/tiny && mount -t tmpfs -o size=64k tmpfs /mnt/tiny"]))
    #expect(mounted.exitCode == 0, "\(mounted.stderr)")
    let files = "/v1/sandboxes/\(sandbox.id)/files"
    let full = try await daemon.raw(.PUT, files + "?path=/mnt/tiny/big", body: String(repeating: "x", count: 512 << 10))
    #expect(full.status == 507, "\(full.body)")
    #expect(full.body.contains("resource_exhausted"))
    let killed = try await daemon.client.exec(sandbox.id, Command(["sh", "-c", "kill -9 $$"]))
    #expect(killed.exitCode == 137)
    #expect(killed.signal == 9)
    try await daemon.client.deleteSandbox(sandbox.id)
  }
}
