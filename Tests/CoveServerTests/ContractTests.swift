import Foundation
import Testing

@testable import CoveServer

/// The API against its own OpenAPI document, fuzzed by schemathesis.
@Suite("the API's contract", .serialized, .timeLimit(.minutes(10)))
struct ContractTests {
  static let schemathesis = TestDaemon.packageRoot + "/.build/schemathesis/bin/schemathesis"

  @Test("a bounded schemathesis run against /openapi.yaml finds no server error")
  func noServerErrors() async throws {
    try #require(
      FileManager.default.isExecutableFile(atPath: Self.schemathesis),
      "schemathesis is missing: scripts/install-schemathesis (run by scripts/test) installs it")
    let daemon = try await TestDaemon(arguments: [
      "--max-sandboxes", "2", "--max-templates", "2", "--memory-budget", "1024", "--default-image", "busybox",
    ])
    defer { daemon.finish() }
    let document = try await daemon.raw(.GET, "/openapi.yaml")
    #expect(document.status == 200)
    let path = daemon.data + "/openapi.yaml"
    try Data(document.body.utf8).write(to: URL(fileURLWithPath: path))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.schemathesis)
    process.arguments = [
      "run", path, "--url", daemon.url, "--header", "Authorization: Bearer \(daemon.key)",
      "--checks", "not_a_server_error", "--max-examples", "10", "--workers", "1", "--request-timeout", "60",
      "--no-color",
      // One seed, so that CI reruns the same cases; COVE_SCHEMATHESIS_SEED=random explores new ones.
      "--seed", ProcessInfo.processInfo.environment["COVE_SCHEMATHESIS_SEED"] ?? "20261124",
    ]
    if process.arguments?.last == "random" { process.arguments?.removeLast(2) }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "schemathesis found server errors:\n\(text.suffix(6000))")
    let operations = OpenAPITests.documented(OpenAPIDocument.yaml).count
    #expect(text.contains("Tested: \(operations)"), "not every operation was tested:\n\(text.suffix(3000))")
  }
}
