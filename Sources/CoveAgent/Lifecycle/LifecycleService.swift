import CoveAgentProto
import GRPCCore

/// The Lifecycle service: hook commands, the HTTP contract's port, hook
/// calls and their history.
public struct LifecycleService: Cove_Agent_V1_Lifecycle.SimpleServiceProtocol {
  let lifecycle: Lifecycle
  let listener: HookHTTPListener

  init(lifecycle: Lifecycle, listener: HookHTTPListener) {
    self.lifecycle = lifecycle
    self.listener = listener
  }

  public func configure(request: Cove_Agent_V1_ConfigureLifecycleRequest, context: ServerContext) async throws
    -> Cove_Agent_V1_ConfigureLifecycleResponse
  {
    try await mappingErrors {
      // Checked before the port moves, so that a refused request changes nothing.
      let commands = try Lifecycle.commands(request.hooks)
      try await listener.listen(on: request.httpPort)
      lifecycle.setCommands(commands)
      return .init()
    }
  }

  public func invoke(request: Cove_Agent_V1_InvokeHookRequest, context: ServerContext) async throws
    -> Cove_Agent_V1_InvokeHookResponse
  {
    guard LifecycleState.hooks.contains(request.hook) else {
      throw AgentError(.invalidArgument, "name a hook: ready, validate, run, suspend, resume or terminate").rpcError
    }
    return await lifecycle.invoke(request.hook, payload: Array(request.payload))
  }

  public func status(request: Cove_Agent_V1_LifecycleStatusRequest, context: ServerContext) async throws
    -> Cove_Agent_V1_LifecycleStatusResponse
  {
    .with {
      $0.history = lifecycle.history
      $0.httpPort = listener.port
    }
  }
}
