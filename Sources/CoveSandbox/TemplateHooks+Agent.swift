import CoveAPIModels
import CoveAgentProto

extension TemplateHooks {
  var commands: [(Cove_Agent_V1_Hook, [String]?)] {
    [(.validate, validate), (.run, run), (.suspend, suspend), (.resume, resume), (.terminate, terminate)]
  }

  /// What the agent is configured with: these commands and `ready`.
  func configuration(ready: [String]?) -> Cove_Agent_V1_ConfigureLifecycleRequest {
    .with { request in
      request.hooks = ([(Cove_Agent_V1_Hook.ready, ready)] + commands).compactMap { hook, argv in
        argv.map { argv in
          .with {
            $0.hook = hook; $0.command.argv = argv
          }
        }
      }
      request.httpPort = UInt32(httpPort ?? 0)
    }
  }
}

extension GuestService {
  var spec: Cove_Agent_V1_ServiceSpec {
    .with { spec in
      spec.name = name
      spec.argv = cmd
      spec.user = user ?? ""
      spec.group = group ?? ""
      spec.env = env ?? [:]
      spec.cwd = cwd ?? ""
      spec.restart =
        switch restart ?? .onFailure {
        case .onFailure: .restartOnFailure
        case .always: .restartAlways
        case .never: .restartNever
        }
    }
  }
}
