import Foundation

/// Starts a migration (saving or loading a VM's device state) into or from
/// a file that Cove opens and hands to QEMU over QMP (`getfd`, the
/// descriptor sent with SCM_RIGHTS), so that QEMU runs no program and
/// opens no file for it: a confined QEMU may not spawn (`exec:` URIs run
/// a shell) and cannot reach the snapshot's directory from its view.
///
/// It uses a second QMP monitor of its own (``VMDirectory/migrationSocket``)
/// because a passed descriptor belongs to the monitor that received it and
/// the migration command must be given there; NIO sends no descriptors.
/// The command returns at once and the migration runs in QEMU; its end is
/// awaited on the main monitor (`waitForMigration`). The few lines
/// exchanged here are plain blocking socket calls, bounded by a 10 s
/// receive timeout.
enum QMPMigrationChannel {
  /// Saves the device state into `path` (made or emptied).
  static func save(to path: String, through socket: String) async throws {
    try await offThePool {
      let file = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
      guard file >= 0 else { throw MachineError.io("creating \(path)", errno: errno) }
      defer { close(file) }
      try run("migrate", passing: file, through: socket)
    }
  }

  /// Loads the device state from `path` into a QEMU started with `-incoming defer`.
  static func load(from path: String, through socket: String) async throws {
    try await offThePool {
      let file = open(path, O_RDONLY | O_CLOEXEC)
      guard file >= 0 else { throw MachineError.io("opening \(path)", errno: errno) }
      defer { close(file) }
      try run("migrate-incoming", passing: file, through: socket)
    }
  }

  /// Blocking calls wait on a queue of their own, not on one of Swift's
  /// few cooperative threads.
  private static let queue = DispatchQueue(label: "cove.qmp-migration")

  private static func offThePool(_ body: @escaping @Sendable () throws -> Void) async throws {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
      queue.async { continuation.resume(with: Result { try body() }) }
    }
  }

  private static let descriptorName = "cove-migration"

  private static func run(_ command: String, passing file: Int32, through path: String) throws(MachineError) {
    let monitor = try connect(path)
    defer { close(monitor) }
    var lines = LineReader(fd: monitor)
    _ = try lines.next()  // the greeting
    try execute(#"{"execute":"qmp_capabilities"}"#, on: monitor, lines: &lines)
    try execute(
      #"{"execute":"getfd","arguments":{"fdname":"\#(descriptorName)"}}"#, on: monitor, lines: &lines, passing: file)
    try execute(
      #"{"execute":"\#(command)","arguments":{"uri":"fd:\#(descriptorName)"}}"#, on: monitor, lines: &lines)
  }

  private static func connect(_ path: String) throws(MachineError) -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw MachineError.io("making a socket", errno: errno) }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let capacity = MemoryLayout.size(ofValue: address.sun_path)
    guard path.utf8.count < capacity else {
      close(fd)
      throw MachineError.invalidConfiguration("socket path too long: \(path)")
    }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      raw.copyBytes(from: path.utf8)
      raw[path.utf8.count] = 0
    }
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard connected == 0 else {
      let code = errno
      close(fd)
      throw MachineError.io("connecting to QEMU's monitor \(path)", errno: code)
    }
    return fd
  }

  /// Sends one command (with `passing` attached as SCM_RIGHTS) and reads
  /// up to its answer, skipping events.
  private static func execute(
    _ command: String, on fd: Int32, lines: inout LineReader, passing descriptor: Int32? = nil
  ) throws(MachineError) {
    var bytes = Array((command + "\n").utf8)
    // One cmsghdr followed by one int, padded to the header's alignment
    // (CMSG_SPACE(sizeof(int)); Swift imports no CMSG_ macros).
    let header = MemoryLayout<cmsghdr>.size
    let alignment = MemoryLayout<Int>.size
    let space = header + (MemoryLayout<Int32>.size + alignment - 1) / alignment * alignment
    let control = UnsafeMutableRawPointer.allocate(byteCount: space, alignment: alignment)
    defer { control.deallocate() }
    control.initializeMemory(as: UInt8.self, repeating: 0, count: space)
    if let descriptor {
      let cmsg = control.bindMemory(to: cmsghdr.self, capacity: 1)
      cmsg.pointee.cmsg_len = header + MemoryLayout<Int32>.size
      cmsg.pointee.cmsg_level = SOL_SOCKET
      cmsg.pointee.cmsg_type = Int32(SCM_RIGHTS)
      control.storeBytes(of: descriptor, toByteOffset: header, as: Int32.self)
    }
    let sent = bytes.withUnsafeMutableBytes { payload -> Int in
      var vector = iovec(iov_base: payload.baseAddress, iov_len: payload.count)
      return withUnsafeMutablePointer(to: &vector) { vectorPointer in
        var message = msghdr()
        message.msg_iov = vectorPointer
        message.msg_iovlen = 1
        if descriptor != nil {
          message.msg_control = control
          message.msg_controllen = space
        }
        return sendmsg(fd, &message, 0)
      }
    }
    guard sent == bytes.count else { throw MachineError.io("sending \(command) to QEMU", errno: errno) }
    while true {
      let line = try lines.next()
      guard let reply = try? JSONDecoder().decode(QMPClient.Reply.self, from: Data(line.utf8)) else { continue }
      if reply.event != nil { continue }
      if let error = reply.error { throw MachineError.qmp("\(error.class): \(error.desc)") }
      if reply.return != nil { return }
    }
  }

  /// Lines from a blocking socket.
  private struct LineReader {
    let fd: Int32
    var buffer: [UInt8] = []

    mutating func next() throws(MachineError) -> String {
      while true {
        if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
          let line = String(decoding: buffer[..<newline], as: UTF8.self)
          buffer.removeSubrange(...newline)
          return line
        }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else {
          throw count == 0
            ? MachineError.qmp("QEMU closed its migration monitor")
            : MachineError.io("reading QEMU's monitor", errno: errno)
        }
        buffer += chunk[..<count]
      }
    }
  }
}

extension VMDirectory {
  /// A second QMP monitor, for commands that pass a file descriptor
  /// (``QMPMigrationChannel``). Shorter than `qmp.sock`, whose length is checked.
  public var migrationSocket: String { path + "/fd.sock" }
}
