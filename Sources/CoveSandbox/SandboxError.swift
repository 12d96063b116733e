/// What the sandbox manager refuses or fails at. ``kind`` says which class
/// of error it is, so the API can pick its status without knowing the cases.
public enum SandboxError: Error, CustomStringConvertible, Sendable, Equatable {
  case notFound(String)
  case templateNotFound(String)
  case alreadyExists(String)
  case illegalTransition(from: SandboxState, to: SandboxState)
  /// An operation that needs another state, such as exec in a stopped sandbox.
  case wrongState(id: String, state: SandboxState, operation: String, needs: String = "a running sandbox")
  case invalidRequest(String)
  case tooManySandboxes(limit: Int)
  case tooManyTemplates(limit: Int)
  case memoryBudgetExceeded(requested: Int, available: Int, budget: Int)
  case bootFailed(String)
  case unavailable(String)
  /// A template that sandboxes (running, paused or suspended) were cloned from.
  case templateInUse(String, by: [String])
  /// Too little free disk for a snapshot: refused before anything changed.
  case insufficientStorage(needed: Int, free: Int, path: String)
  /// A sandbox (or its resume) deleted before it started: while it waited
  /// for its turn to boot, or while it booted.
  case cancelled(String)

  public enum Kind: Sendable { case notFound, conflict, invalid, tooMany, unavailable, storage, failed }

  public var kind: Kind {
    switch self {
    case .notFound, .templateNotFound: .notFound
    case .alreadyExists: .conflict
    case .illegalTransition, .wrongState, .templateInUse, .cancelled: .conflict
    case .invalidRequest: .invalid
    case .tooManySandboxes, .tooManyTemplates, .memoryBudgetExceeded: .tooMany
    case .unavailable: .unavailable
    case .insufficientStorage: .storage
    case .bootFailed: .failed
    }
  }

  public var description: String {
    switch self {
    case .notFound(let id): "no sandbox \(id)"
    case .templateNotFound(let name): "no template \(name)"
    case .alreadyExists(let what): "\(what) already exists"
    case .illegalTransition(let from, let to): "a sandbox cannot go from \(from.rawValue) to \(to.rawValue)"
    case .wrongState(let id, let state, let operation, let needs):
      "sandbox \(id) is \(state.rawValue); \(operation) needs \(needs)"
    case .invalidRequest(let why): why
    case .tooManySandboxes(let limit): "the limit of \(limit) sandboxes is reached; delete one first"
    case .tooManyTemplates(let limit): "the limit of \(limit) templates is reached; delete one first"
    case .memoryBudgetExceeded(let requested, let available, let budget):
      "\(requested) MiB requested but only \(available) MiB of the \(budget) MiB budget is free"
    case .bootFailed(let why): "the sandbox did not start: \(why)"
    case .unavailable(let why): why
    case .insufficientStorage(let needed, let free, let path):
      "a snapshot needs up to \(needed) MiB free in \(path), and \(free) MiB are free; nothing was changed"
    case .cancelled(let id): "sandbox \(id) was deleted before it started"
    case .templateInUse(let name, let users):
      "template \(name) is in use by \(users.joined(separator: ", ")); delete those sandboxes first"
    }
  }
}
