import CoveAPIModels
import CoveMachine

extension TemplateHooks {
  var commands: [(GuestHook, [String]?)] {
    [(.validate, validate), (.run, run), (.suspend, suspend), (.resume, resume), (.terminate, terminate)]
  }

  /// The hooks the agent is configured with: these commands and `ready`.
  func commands(ready: [String]?) -> [GuestHook: HookCommand] {
    var configured: [GuestHook: HookCommand] = [:]
    for (hook, argv) in [(.ready, ready)] + commands {
      if let argv { configured[hook] = HookCommand(argv: argv) }
    }
    return configured
  }
}

extension GuestService {
  var spec: ServiceSpec {
    let restart: ServiceSpec.Restart =
      switch restart ?? .onFailure {
      case .onFailure: .onFailure
      case .always: .always
      case .never: .never
      }
    return ServiceSpec(
      name: name, argv: cmd, env: env ?? [:], user: user, group: group, cwd: cwd, restart: restart)
  }
}
