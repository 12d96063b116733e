import CoveAPIModels
import CoveClient
import Foundation
import Testing

@Suite("lifecycle hooks and supervised services through the daemon", .serialized)
struct HookTests {
  /// A hook command that notes its name in the guest's /tmp/hooks.
  static func noting(_ name: String) -> [String] { ["sh", "-c", "echo \(name) >> /tmp/hooks"] }

  @Test(
    "a template's hooks run in order and once per clone (ready before the snapshot, validate and run with the payload, suspend and resume, terminate); the guest serves the HTTP contract; services run as nobody, restart, and log"
  )
  func hooksAndServices() async throws {
    let daemon = try await TestDaemon(arguments: ["--default-image", "busybox"])
    defer { daemon.finish() }
    let client = daemon.client
    // Not ready the first two times it is asked.
    let ready = [
      "sh", "-c",
      "n=$(cat /tmp/tries 2>/dev/null || echo 0); echo $((n+1)) > /tmp/tries; [ $n -ge 2 ] && echo ready >> /tmp/hooks",
    ]
    let template = try await client.createTemplate(
      Template(
        name: "hooked", readyCmd: ready,
        hooks: TemplateHooks(
          validate: Self.noting("validate"), run: ["sh", "-c", "echo run:$(cat) >> /tmp/hooks; echo ran"],
          suspend: Self.noting("suspend"), resume: Self.noting("resume"), terminate: Self.noting("terminate"),
          httpPort: 9100),
        services: [
          GuestService(
            name: "idle", cmd: ["sh", "-c", "id -u; echo $HOME $XDG_RUNTIME_DIR; exec sleep 600"], user: "nobody"),
          GuestService(name: "flaky", cmd: ["sh", "-c", "echo try; exit 3"]),
        ]))
    #expect(template.hooks?.httpPort == 9100 && template.services?.count == 2)
    let clone = try await client.createSandbox(CreateSandbox(template: "hooked", runPayload: "hello"))
    func hooks() async throws -> String { try await client.exec(clone.id, Command(["cat", "/tmp/hooks"])).stdout }
    #expect(try await hooks() == "ready\nvalidate\nrun:hello\n")
    #expect(try await client.exec(clone.id, Command(["cat", "/tmp/tries"])).stdout == "3\n")
    // Once means once: run and ready again answer without running.
    #expect(try await client.invokeHook(clone.id, hook: "run", payload: Data("again".utf8)).isEmpty)
    _ = try await client.invokeHook(clone.id, hook: "ready")
    #expect(try await hooks() == "ready\nvalidate\nrun:hello\n")

    // The same hooks over HTTP, from inside the guest.
    let url = "http://127.0.0.1:9100/aws/lambda-microvms/runtime/v1/"
    let validate = try await client.exec(
      clone.id, Command(["wget", "-q", "-O", "-", "--post-data=x", url + "validate"]))
    #expect(validate.exitCode == 0)
    let unknown = try await client.exec(clone.id, Command(["wget", "-q", "-O", "-", "--post-data=x", url + "nope"]))
    #expect(unknown.exitCode != 0 && unknown.stderr.contains("404"))
    #expect(try await hooks() == "ready\nvalidate\nrun:hello\nvalidate\n")

    // Suspended to disk and back: suspend before, resume after.
    _ = try await client.suspend(clone.id)
    _ = try await client.resume(clone.id)
    #expect(try await hooks() == "ready\nvalidate\nrun:hello\nvalidate\nsuspend\nresume\n")

    // Services: one as nobody with its own runtime directory, one restarted.
    let services = try await client.services(clone.id)
    let idle = try #require(services.first { $0.name == "idle" })
    #expect(idle.state == "running" && idle.uid == 65534)
    let flaky = try #require(services.first { $0.name == "flaky" })
    #expect(flaky.restarts >= 1 && flaky.lastExit == 3)
    let log = try await client.serviceLogs(clone.id, service: "idle")
    #expect(log.contains("65534") && log.contains("/run/user/65534"))
    #expect(try await client.serviceLogs(clone.id, service: "flaky").components(separatedBy: "try").count >= 3)
    let missing = try await daemon.raw(.GET, "/v1/sandboxes/\(clone.id)/services/none/logs")
    #expect(missing.status == 404)

    // Terminate: after it, no hook runs.
    _ = try await client.invokeHook(clone.id, hook: "terminate")
    let refused = try await daemon.raw(.POST, "/v1/sandboxes/\(clone.id)/hooks/suspend")
    #expect(refused.status == 409)
    #expect(try await daemon.raw(.POST, "/v1/sandboxes/\(clone.id)/hooks/nope").status == 400)
    let history = try await client.hookHistory(clone.id).map { "\($0.hook):\($0.outcome)" }
    #expect(history.contains("run:done") && history.last == "suspend:refused")
    #expect(try await hooks().hasSuffix("resume\nterminate\n"))

    // A payload for a sandbox without hooks is refused before anything boots.
    let plain = try await daemon.raw(.POST, "/v1/sandboxes", body: #"{"image": "busybox", "run_payload": "x"}"#)
    #expect(plain.status == 400)
    try await client.deleteSandbox(clone.id)
    try await client.deleteTemplate("hooked")
    #expect(daemon.qemuProcesses.isEmpty)
  }
}
