import ArgumentParser
import CoveImages
import Foundation
import Logging

@main
struct Cove: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cove",
    abstract: "Disposable Linux microVMs for running untrusted code.",
    subcommands: [
      Run.self, Serve.self, Create.self, List.self, Exec.self, Shell.self, Copy.self, Logs.self, Remove.self,
      Pause.self, Suspend.self, Resume.self, TemplateCommand.self, Hook.self, ServiceCommand.self, Keys.self,
      ImageCommand.self, KernelCommand.self, Doctor.self, MCPCommand.self,
    ])
}

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
  @Flag(name: .shortAndLong, help: "Log what Cove does (COVE_LOG=debug for more).")
  var verbose = false

  func bootstrapLogging() {
    let configured = ProcessInfo.processInfo.environment["COVE_LOG"].flatMap(Logger.Level.init(rawValue:))
    let level = configured ?? (verbose ? .info : .notice)
    LoggingSystem.bootstrap { label in
      var handler = StreamLogHandler.standardError(label: label)
      handler.logLevel = level
      return handler
    }
  }
}

/// Prints `error` the way a user should read it and exits with `code`.
func fail(_ error: any Error, code: Int32 = 125) -> Never {
  FileHandle.standardError.write(Data("cove: \(error)\n".utf8))
  Foundation.exit(code)
}

/// An error that is just a sentence for the user.
struct Message: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
