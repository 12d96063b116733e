import CoveTestSupport
import Foundation
import Testing

@testable import CoveServer

/// The API against its own OpenAPI document, fuzzed by schemathesis with all
/// its checks: status codes, content types, headers and response schemas
/// (SSE events included) as documented, invalid requests refused, valid ones
/// accepted, auth enforced, 405 for undocumented methods, deleted resources gone.
@Suite("the API's contract", .serialized, .timeLimit(.minutes(10)))
struct ContractTests {
  static let schemathesis = TestDaemon.packageRoot + "/.build/schemathesis/bin/schemathesis"

  /// Operations that refuse a request the schema allows for a reason the
  /// schema cannot state, with 400 invalid_request: it depends on the guest
  /// (an unknown user or cwd, a directory where a file is wanted, the root
  /// path) or on another resource (a run payload for a template without
  /// hooks, an image that is not there). Everywhere else a valid request
  /// must not get a 400.
  static let refusesSomeValidRequests = [
    "createSandbox", "createTemplate", "templateFromSandbox", "exec", "execStream", "startProcess",
    "downloadFile", "uploadFile", "removeFile", "statFile", "listFiles", "makeDirectory", "renameFile",
  ]

  static var configuration: String {
    let operations = refusesSomeValidRequests.map { "\"\($0)\"" }.joined(separator: ", ")
    return """
      [[operations]]
      include-operation-id = [\(operations)]
      checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]

      """
  }

  @Test("a bounded schemathesis run with all checks against /openapi.yaml finds nothing")
  func allChecksPass() async throws {
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
    let configuration = daemon.data + "/schemathesis.toml"
    try Data(Self.configuration.utf8).write(to: URL(fileURLWithPath: configuration))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.schemathesis)
    process.currentDirectoryURL = URL(fileURLWithPath: daemon.data)
    process.arguments = [
      "--config-file", configuration,
      "run", path, "--url", daemon.url, "--header", "Authorization: Bearer \(daemon.key)",
      // Every check. Its response-time limit (10 s unless set) is the request
      // timeout: a create waits for its boot turn behind every other test's
      // VMs and a template boots one under TCG; speed is bench/'s business,
      // not the contract's, so both are hang guards.
      "--checks", "all", "--max-response-time", "600",
      // The WebSocket route is an upgrade, not a request/response operation.
      "--exclude-operation-id", "execWebSocket",
      // Bounded: about a thousand requests and a few VM boots.
      "--max-examples", "5", "--workers", "1", "--request-timeout", "600", "--no-color",
      // One seed and no example database, so that CI reruns the same cases;
      // COVE_SCHEMATHESIS_SEED=random explores new ones.
      "--generation-database", "none",
      "--seed", ProcessInfo.processInfo.environment["COVE_SCHEMATHESIS_SEED"] ?? "20261124",
    ]
    if process.arguments?.last == "random" { process.arguments?.removeLast(2) }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let ended = await process.finish(output: output, error: nil)
    let text = ended.standardOutput
    #expect(ended.status == 0, "schemathesis found failures:\n\(text.suffix(8000))")
    let operations = OpenAPITests.documented(OpenAPIDocument.yaml).count - 1
    #expect(text.contains("Tested: \(operations)"), "not every operation was tested:\n\(text.suffix(3000))")
  }
}
