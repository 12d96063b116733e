import CoveMachine
import CoveSandbox
import Foundation
import Hummingbird
import Logging
import Synchronization

/// How the E2B listener runs.
public struct E2BOptions: Sendable {
  public var host = "127.0.0.1"
  public var port = 3000
  /// The `domain` of create's answer: the SDK's `get_host(port)` gives
  /// `{port}-{sandboxID}.{domain}`. Nil for `localhost:{port}`.
  public var domain: String?
  /// Where the tokens' secret is kept (the daemon's data directory).
  public var dataDirectory: String

  public init(dataDirectory: String) { self.dataDirectory = dataDirectory }
}

/// E2B's two APIs over Cove: the control plane (sandboxes, keyed with
/// `X-API-KEY`) and envd, the in-sandbox API (processes and files over the
/// Connect protocol, `/files` and `/health`), which is translated to Cove's
/// agent through ``SandboxManager/guest(_:for:)``. The SDK reaches envd with
/// `E2B_SANDBOX_URL` pointing here and the sandbox named by the
/// `E2b-Sandbox-Id` header, or by a `{port}-{id}.{domain}` host name.
public struct E2BService: Sendable {
  /// The envd version Cove answers with: the SDK turns features on by it
  /// (`e2b/envd/versions.py`), up to watching network mounts (0.6.4).
  public static let envdVersion = "0.6.4"
  /// envd's port inside an E2B sandbox; the only port served here.
  public static let envdPort = 49983

  let manager: SandboxManager
  let keys: APIKeys
  let tokens: AccessTokens
  let configuredDomain: String?
  /// The port the listener took (a free one for port 0), once it listens.
  let listening = ListeningPort()
  let watchers: Watchers
  let autoPause: AutoPause
  let logger: Logger

  public init(manager: SandboxManager, options: E2BOptions, logger: Logger) throws {
    self.manager = manager
    keys = APIKeys(store: manager.store)
    tokens = try AccessTokens(directory: options.dataDirectory)
    configuredDomain = options.domain
    listening.port.store(options.port, ordering: .relaxed)
    watchers = Watchers()
    autoPause = AutoPause(directory: options.dataDirectory)
    self.logger = logger
  }

  /// The `domain` of create's answer: the one configured, else
  /// `localhost:{port}` (browsers and curl resolve `*.localhost` here).
  var domain: String { configuredDomain ?? "localhost:\(listening.port.load(ordering: .relaxed))" }

  public func router() -> Router<E2BRequestContext> {
    let router = Router(context: E2BRequestContext.self)
    router.add(middleware: E2BErrorMiddleware())
    router.add(middleware: SandboxPortMiddleware())
    addControlPlaneRoutes(to: router)
    addEnvdRoutes(to: router)
    return router
  }
}

/// The port a listener took, set once it listens.
final class ListeningPort: Sendable {
  let port = Atomic<Int>(0)
}
