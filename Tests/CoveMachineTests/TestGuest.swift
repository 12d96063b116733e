import CoveAgentProto
import CoveImages
import CoveMachine
import Foundation

/// What the VM tests boot: the static agent from scripts/build-agent, the
/// distribution's kernel and the busybox image, kept in
/// `.build/test-home` so that later runs reuse them.
enum TestGuest {
  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
  static let home = CoveHome(root: packageRoot + "/.build/test-home")
  static let runDirectory = "/tmp/cove-test-\(getpid())"

  static var agent: String {
    ProcessInfo.processInfo.environment["COVE_AGENT"] ?? packageRoot + "/.build/static/cove-agent"
  }

  /// Built once per test run, on first use.
  private static let prepared = Task { () throws -> MachineConfiguration in
    var assets = GuestAssets(home: home)
    assets.agent = agent
    var configuration = try await assets.configuration(image: "busybox")
    configuration.runDirectory = runDirectory
    configuration.network = false
    return configuration
  }

  static func configuration() async throws -> MachineConfiguration { try await prepared.value }

  /// Boots a busybox VM, runs `body`, and stops the VM whatever happens.
  static func withMachine<R: Sendable>(
    configure: (inout MachineConfiguration) -> Void = { _ in },
    _ body: (QEMUMachine) async throws -> R
  ) async throws -> R {
    var configuration = try await configuration()
    configure(&configuration)
    let machine = QEMUMachine(configuration: configuration)
    do {
      _ = try await machine.boot(timeout: .seconds(480))
      let result = try await body(machine)
      await machine.stop(grace: .seconds(3))
      return result
    } catch {
      await machine.kill()
      throw error
    }
  }
}

/// Output of a command, collected.
final class Collected: @unchecked Sendable {
  private let lock = NSLock()
  private var out = Data()
  private var err = Data()

  func append(_ stream: StandardStream, _ data: Data) {
    lock.withLock { stream == .stdout ? out.append(data) : err.append(data) }
  }
  var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
  var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }
}

extension QEMUMachine {
  /// Runs argv and returns its exit and output.
  func run(_ argv: [String], configure: (inout Cove_Agent_V1_StartRequest) -> Void = { _ in }) async throws
    -> (exit: CommandExit, stdout: String, stderr: String)
  {
    var request = Cove_Agent_V1_StartRequest()
    request.argv = argv
    configure(&request)
    let collected = Collected()
    let exit = try await execute(request) { collected.append($0, $1) }
    return (exit, collected.stdout, collected.stderr)
  }

  /// Whether nothing of this VM is left: no QEMU process, no directory.
  func leftNothingBehind(pid: pid_t?) -> Bool {
    let processGone = pid.map { Glibc.kill($0, 0) != 0 || isZombie($0) } ?? true
    return processGone && !FileManager.default.fileExists(atPath: directory.path)
  }
}

func isZombie(_ pid: pid_t) -> Bool {
  let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
  return stat.contains(") Z ")
}
