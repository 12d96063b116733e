import ArgumentParser
import CoveClient
import Dispatch
import Foundation

extension Cove {
  struct Shell: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Open a terminal in a sandbox of the daemon (a shell unless a command follows --).",
      discussion: "The local terminal goes raw: Ctrl-C and the rest go to the sandbox; resizing follows.")
    @OptionGroup var client: ClientOptions
    @Option(name: .shortAndLong, help: "Environment variable, K=V (repeatable).") var env: [String] = []
    @Option(name: .shortAndLong, help: "Working directory.") var workdir: String?
    @Option(name: .shortAndLong, help: "User, by name or uid.") var user: String?
    @Argument(help: "The sandbox.") var sandbox: String
    @Argument(parsing: .captureForPassthrough, help: "The command, after -- (default: /bin/sh).")
    var command: [String] = []

    func run() async throws {
      var argv = command.first == "--" ? Array(command.dropFirst()) : command
      if argv.isEmpty { argv = ["/bin/sh"] }
      var environment = try pairs(env) ?? [:]
      environment["TERM"] = environment["TERM"] ?? ProcessInfo.processInfo.environment["TERM"] ?? "xterm"
      let terminal = RawTerminal()
      let (input, sink) = AsyncStream.makeStream(of: CommandInput.self)
      // Resizes follow the local window; keystrokes go as they are typed.
      signal(SIGWINCH, SIG_IGN)
      let resizes = DispatchSource.makeSignalSource(signal: SIGWINCH, queue: .main)
      resizes.setEventHandler {
        let size = RawTerminal.size()
        sink.yield(.resize(rows: size.rows, cols: size.cols))
      }
      resizes.resume()
      let reader = Thread {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
          let count = read(STDIN_FILENO, &buffer, buffer.count)
          if count <= 0 { break }
          sink.yield(.stdin(Data(buffer[0..<count])))
        }
        sink.yield(.closeStdin)
      }
      reader.start()
      terminal.makeRaw()
      let code: Int32
      do {
        let status = try await client.client().interactive(
          sandbox, Command(argv, env: environment, cwd: workdir, user: user), pty: RawTerminal.size(), input: input
        ) { _, data in FileHandle.standardOutput.write(data) }
        code = status.exitCode
      } catch {
        terminal.restore()
        fail(error, code: 1)
      }
      terminal.restore()
      resizes.cancel()
      throw ExitCode(code)
    }
  }
}

/// The local terminal in raw mode, restored afterwards.
final class RawTerminal: @unchecked Sendable {
  private var saved: termios?

  func makeRaw() {
    guard isatty(STDIN_FILENO) == 1 else { return }
    var settings = termios()
    guard tcgetattr(STDIN_FILENO, &settings) == 0 else { return }
    saved = settings
    cfmakeraw(&settings)
    tcsetattr(STDIN_FILENO, TCSANOW, &settings)
  }

  func restore() {
    guard var saved else { return }
    tcsetattr(STDIN_FILENO, TCSANOW, &saved)
    self.saved = nil
  }

  /// The window size of standard input's terminal (24x80 when it has none).
  static func size() -> (rows: Int, cols: Int) {
    var size = winsize()
    guard ioctl(STDIN_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0, size.ws_col > 0 else { return (24, 80) }
    return (Int(size.ws_row), Int(size.ws_col))
  }
}
