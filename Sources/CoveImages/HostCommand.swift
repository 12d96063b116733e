import Foundation
import Subprocess

/// Runs the host programs Cove builds on (apt-get, dpkg-deb, mke2fs,
/// qemu-img, mmdebstrap) and turns a failure into an ``ImageError`` that
/// carries the program's own explanation.
public enum HostCommand {
  /// Runs `program` and returns its standard output; throws with its
  /// standard error when it does not exit 0.
  @discardableResult
  public static func run(
    _ program: String, _ arguments: [String], in directory: String? = nil, package: String? = nil
  ) async throws -> String {
    let executable = try locate(program, package: package)
    let result = try await Subprocess.run(
      .path(.init(executable)), arguments: .init(arguments),
      workingDirectory: directory.map { .init($0) },
      output: .string(limit: 16 << 20), error: .string(limit: 1 << 20))
    guard case .exited(0) = result.terminationStatus else {
      throw ImageError.commandFailed(
        command: ([program] + arguments.prefix(3)).joined(separator: " "),
        status: "\(result.terminationStatus)",
        output: result.standardError + result.standardOutput)
    }
    return result.standardOutput
  }

  /// Runs `program` with its output on this process's standard error, for
  /// long jobs whose progress the user should see.
  public static func runShowingProgress(_ program: String, _ arguments: [String], package: String? = nil)
    async throws
  {
    let executable = try locate(program, package: package)
    let result = try await Subprocess.run(
      .path(.init(executable)), arguments: .init(arguments),
      output: .currentStandardError, error: .currentStandardError)
    guard case .exited(0) = result.terminationStatus else {
      throw ImageError.commandFailed(
        command: ([program] + arguments.prefix(3)).joined(separator: " "),
        status: "\(result.terminationStatus)", output: "")
    }
  }

  /// The full path of `program` from PATH (plus the sbin directories, which a
  /// non-root PATH often lacks).
  public static func locate(_ program: String, package: String? = nil) throws -> String {
    if program.contains("/") { return program }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
    for directory in directories where FileManager.default.isExecutableFile(atPath: "\(directory)/\(program)") {
      return "\(directory)/\(program)"
    }
    throw ImageError.programMissing(program, package: package ?? program)
  }
}
