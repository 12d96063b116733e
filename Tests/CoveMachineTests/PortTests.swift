import CoveMachine
import Foundation
import Testing

@Suite("Extra virtio-serial ports and port forwards", .serialized, .timeLimit(.minutes(10)))
struct PortTests {
  @Test("an extra serial port shows up in the guest under its name, and bytes from its host socket reach it")
  func serialPort() async throws {
    let name = "org.example.test.0"
    try await TestGuest.withMachine(configure: { $0.serialPorts = [name] }) { vm in
      let socket = vm.directory.serialSocket(named: name)
      #expect(FileManager.default.fileExists(atPath: socket))
      let listing = try await vm.run([
        "sh", "-c", "for p in /sys/class/virtio-ports/*; do echo \"${p##*/} $(cat $p/name)\"; done",
      ])
      let device = listing.stdout.split(separator: "\n").first { $0.hasSuffix(" \(name)") }?
        .split(separator: " ").first.map(String.init)
      let port = try #require(device)
      // With no host connected the guest reads end of file, so the host
      // connects and writes first; QEMU holds the bytes until the guest reads.
      let fd = try connectUnix(socket)
      defer { close(fd) }
      let line = Array("hello port\n".utf8)
      #expect(write(fd, line, line.count) == line.count)
      let read = try await vm.run(["head", "-n", "1", "/dev/\(port)"])
      #expect(read.exit.code == 0)
      #expect(read.stdout == "hello port\n")
    }
  }

  @Test("port forwards become hostfwd rules on loopback; bad names and ports are refused before QEMU starts")
  func commandLineAndValidation() async throws {
    var configuration = try await TestGuest.configuration()
    configuration.network = true
    configuration.portForwards = [PortForward(hostPort: 2222, guestPort: 22)]
    configuration.serialPorts = ["org.qemu.guest_agent.0"]
    let directory = VMDirectory(path: "/tmp/cove-x/abc")
    let arguments = QEMUCommandLine(configuration: configuration, directory: directory).arguments
    #expect(arguments.contains("user,id=net,hostfwd=tcp:127.0.0.1:2222-:22"))
    #expect(arguments.contains("virtserialport,id=port0,chardev=port0,name=org.qemu.guest_agent.0"))
    #expect(
      arguments.contains("socket,id=port0,path=/tmp/cove-x/abc/port-org.qemu.guest_agent.0.sock,server=on,wait=off"))

    for configure in [
      { (c: inout MachineConfiguration) in c.serialPorts = ["bad,name"] },
      { (c: inout MachineConfiguration) in c.serialPorts = ["org.cove.agent"] },
      { (c: inout MachineConfiguration) in c.portForwards = [PortForward(hostPort: 0, guestPort: 22)] },
      { (c: inout MachineConfiguration) in
        c.network = false
        c.portForwards = [PortForward(hostPort: 2222, guestPort: 22)]
      },
    ] {
      var bad = try await TestGuest.configuration()
      configure(&bad)
      let vm = QEMUMachine(configuration: bad)
      await #expect {
        try await vm.start()
      } throws: { error in
        if case MachineError.invalidConfiguration = error { return true }
        return false
      }
      #expect(vm.pid == nil)
    }
  }
}

/// A connected Unix stream socket to `path`.
func connectUnix(_ path: String) throws -> Int32 {
  let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
  var address = sockaddr_un()
  address.sun_family = sa_family_t(AF_UNIX)
  withUnsafeMutableBytes(of: &address.sun_path) { buffer in
    for (index, byte) in path.utf8.prefix(buffer.count - 1).enumerated() { buffer[index] = byte }
  }
  let result = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
      Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
    }
  }
  guard result == 0 else {
    close(fd)
    throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
  }
  return fd
}
