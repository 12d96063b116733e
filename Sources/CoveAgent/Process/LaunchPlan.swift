import CCoveSystem
import CoveAgentProto
import CoveRules

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A validated start request: what to execute, with which environment, as
/// whom and where. Making one touches nothing; `spawn` does.
struct LaunchPlan {
  var argv: [String]
  var argv0: String
  var path: String
  var environment: [String]
  var cwd: String?
  var user: GuestUser?
  var pty: Cove_Agent_V1_PtySize?
  var keepStdin: Bool

  /// `user`, when given, is the identity to run as, already resolved (a
  /// service's user with another group); `request.user` is not looked up then.
  init(_ request: Cove_Agent_V1_StartRequest, defaults: [String: String], user: GuestUser? = nil) throws(AgentError) {
    try Self.validate(argv: request.argv, env: request.env)
    let first = request.argv[0]
    if request.cwd.utf8.contains(0) { throw AgentError(.invalidArgument, "cwd must not contain NUL bytes") }
    if request.hasPty {
      guard TerminalSize(rows: request.pty.rows, cols: request.pty.cols) != nil else {
        throw AgentError(.invalidArgument, TerminalSize.rule)
      }
      pty = request.pty
    }
    var env = defaults
    if let user {
      self.user = user
    } else if !request.user.isEmpty {
      guard let user = UserDatabase.lookup(request.user) else {
        throw AgentError(.invalidArgument, "unknown user \"\(request.user)\"")
      }
      self.user = user
    }
    if let user = self.user {
      env["HOME"] = user.home
      env["USER"] = user.name
      env["LOGNAME"] = user.name
    }
    if pty != nil && env["TERM"] == nil { env["TERM"] = "xterm-256color" }
    for (key, value) in request.env { env[key] = value }
    environment = env.map { "\($0.key)=\($0.value)" }.sorted()
    argv = request.argv
    argv0 = first
    path = Self.resolve(first, searchPath: env["PATH"] ?? "")
    cwd = request.cwd.isEmpty ? (user?.home ?? "/") : request.cwd
    keepStdin = request.stdin
  }

  /// Checks what every command needs: a program, and no NUL bytes or
  /// malformed variable names that `execve` would cut or misread.
  static func validate(argv: [String], env: [String: String]) throws(AgentError) {
    guard let first = argv.first, !first.isEmpty else {
      throw AgentError(.invalidArgument, "argv must name a program")
    }
    for arg in argv where arg.utf8.contains(0) {
      throw AgentError(.invalidArgument, "argv must not contain NUL bytes")
    }
    for (key, value) in env {
      if key.isEmpty || key.utf8.contains(0) || key.utf8.contains(UInt8(ascii: "=")) || value.utf8.contains(0) {
        throw AgentError(.invalidArgument, "invalid environment variable name or value: \"\(key)\"")
      }
    }
  }

  /// Finds a program in PATH the way a shell does; a name that is found
  /// nowhere is returned unchanged, so that executing it fails with ENOENT.
  static func resolve(_ program: String, searchPath: String) -> String {
    if program.utf8.contains(UInt8(ascii: "/")) { return program }
    for dir in searchPath.split(separator: ":") where !dir.isEmpty {
      let candidate = "\(dir)/\(program)"
      var st = stat()
      if stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
        return candidate
      }
    }
    return program
  }

  /// The descriptors of one launch: the child's ends and the agent's ends.
  struct Descriptors {
    var childStdin: Int32
    var childStdout: Int32
    var childStderr: Int32
    var stdoutRead: Int32?
    var stderrRead: Int32?
    var stdinWrite: Int32?
    var ptyMaster: Int32?

    var childEnds: [Int32] { Array(Set([childStdin, childStdout, childStderr])) }
    var all: [Int32] { childEnds + [stdoutRead, stderrRead, stdinWrite, ptyMaster].compactMap { $0 } }
  }

  func makeDescriptors() throws(AgentError) -> Descriptors {
    var made: [Int32] = []
    do {
      func pipePair() throws(AgentError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        try check("pipe", "", cove_pipe(&fds, 0))
        made += fds
        return (fds[0], fds[1])
      }
      if let pty {
        var master: Int32 = -1
        var name = [CChar](repeating: 0, count: 128)
        try check("open", "a terminal", cove_open_pty(&master, &name, name.count))
        made.append(master)
        try check("resize", "a terminal", cove_set_window_size(master, UInt16(pty.rows), UInt16(pty.cols)))
        let slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let slave = try retrying("open", slavePath) { open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC) }
        made.append(slave)
        let writer = try retrying("dup", "a terminal") { fcntl(master, F_DUPFD_CLOEXEC, 3) }
        made.append(writer)
        return Descriptors(
          childStdin: slave, childStdout: slave, childStderr: slave,
          stdoutRead: master, stderrRead: nil, stdinWrite: writer, ptyMaster: master)
      }
      let out = try pipePair()
      let err = try pipePair()
      let stdinRead: Int32
      var stdinWrite: Int32? = nil
      if keepStdin {
        let input = try pipePair()
        stdinRead = input.read
        stdinWrite = input.write
      } else {
        stdinRead = try retrying("open", "/dev/null") { open("/dev/null", O_RDONLY | O_CLOEXEC) }
        made.append(stdinRead)
      }
      return Descriptors(
        childStdin: stdinRead, childStdout: out.write, childStderr: err.write,
        stdoutRead: out.read, stderrRead: err.read, stdinWrite: stdinWrite, ptyMaster: nil)
    } catch {
      for fd in made { close(fd) }
      throw error
    }
  }

  /// Forks and executes. Returns the pid and, when the program could not be
  /// executed, why (the child then exits with 127).
  func spawn(_ fds: Descriptors) throws(AgentError) -> (pid_t, AgentError?) {
    var pid: pid_t = 0
    var execErrno: Int32 = 0
    var failedStep: Int32 = 0
    let groups = user?.groups ?? []
    let rc = withCStrings(argv) { argvPtr in
      withCStrings(environment) { envPtr in
        groups.withUnsafeBufferPointer { groupsPtr in
          path.withCString { pathPtr in
            withOptionalCString(cwd) { cwdPtr in
              var options = cove_spawn_options(
                path: pathPtr, argv: argvPtr, envp: envPtr, cwd: cwdPtr,
                stdin_fd: fds.childStdin, stdout_fd: fds.childStdout, stderr_fd: fds.childStderr,
                controlling_tty: pty == nil ? 0 : 1, change_user: user == nil ? 0 : 1,
                uid: user?.uid ?? 0, gid: user?.gid ?? 0, groups: groupsPtr.baseAddress,
                group_count: groups.count)
              return cove_spawn(&options, &pid, &execErrno, &failedStep)
            }
          }
        }
      }
    }
    if rc != 0 {
      throw AgentError(
        rc == EAGAIN ? .resourceExhausted : .internalError, "cannot start a process: \(String(cString: strerror(rc)))")
    }
    return (pid, execErrno == 0 ? nil : failure(errno: execErrno, step: failedStep))
  }

  /// Why the child could not execute, naming the step that failed: a
  /// missing working directory is not a missing program.
  func failure(errno err: Int32, step: Int32) -> AgentError {
    switch step {
    case Int32(COVE_SPAWN_STEP_CWD):
      let directory = cwd ?? "/"
      switch err {
      case ENOENT: return AgentError(.notFound, "working directory \(directory) does not exist", errno: err)
      case ENOTDIR:
        return AgentError(.failedPrecondition, "working directory \(directory) is not a directory", errno: err)
      default: return .system("enter working directory", directory, errno: err)
      }
    case Int32(COVE_SPAWN_STEP_SETUP):
      return .system("set up", argv0, errno: err)
    default:
      return .system("exec", argv0, errno: err)
    }
  }
}

/// Calls `body` with a NULL-terminated C array of the strings.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
  let pointers = strings.map { strdup($0) } + [nil]
  defer { for p in pointers { free(p) } }
  return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
  guard let string else { return body(nil) }
  return string.withCString { body($0) }
}
