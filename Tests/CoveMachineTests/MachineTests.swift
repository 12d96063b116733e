import CoveAgentProto
import CoveImages
import CoveMachine
import Foundation
import Testing

/// Real microVMs under QEMU (TCG on machines without vmx/svm) with the real
/// static agent as PID 1. One at a time: each boot takes a core.
@Suite("Real microVMs", .serialized, .timeLimit(.minutes(10)))
struct MachineTests {
  @Test("commands run in the guest: exit codes, separate streams, env, cwd, 127 for a missing program")
  func commands() async throws {
    try await TestGuest.withMachine { vm in
      let kernel = try await vm.run(["uname", "-r"])
      #expect(kernel.exit.code == 0)
      #expect(kernel.stdout.contains("cloud-amd64"))
      #expect(kernel.stdout != (try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)))

      let streams = try await vm.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
      #expect(streams.exit.code == 3)
      #expect(streams.stdout == "out\n")
      #expect(streams.stderr == "err\n")

      let context = try await vm.run(["sh", "-c", "echo $GREETING; pwd"]) {
        $0.env["GREETING"] = "hello"
        $0.cwd = "/etc"
      }
      #expect(context.stdout == "hello\n/etc\n")

      let missing = try await vm.run(["no-such-program"])
      #expect(missing.exit.code == 127)
      #expect(missing.stderr.contains("no-such-program"))

      let signalled = try await vm.run(["sh", "-c", "kill -9 $$"])
      #expect(signalled.exit.signal == 9)
      #expect(signalled.exit.code == 137)

      // The root disk is the busybox image, and PID 1 is the agent.
      let root = try await vm.run(["sh", "-c", "cat /etc/os-release; cat /proc/1/comm"])
      #expect(root.stdout.contains("Cove busybox"))
      #expect(root.stdout.hasSuffix("init\n"))
    }
  }

  @Test("user-mode networking: eth0 is up and reaches the host, with a name server configured")
  func network() async throws {
    let server = try LoopbackHTTPServer(body: "hello from the host")
    defer { server.stop() }
    try await TestGuest.withMachine(configure: { $0.network = true }) { vm in
      let fetched = try await vm.run(["wget", "-q", "-O", "-", "http://10.0.2.2:\(server.port)/"])
      #expect(fetched.exit.code == 0, "wget: \(fetched.stderr)")
      #expect(fetched.stdout == "hello from the host")
      let setup = try await vm.run(["sh", "-c", "cat /etc/resolv.conf; ip -4 addr show eth0; ip route"])
      #expect(setup.stdout.contains("nameserver 10.0.2.3"))
      #expect(setup.stdout.contains("inet 10.0.2.15/24"))
      #expect(setup.stdout.contains("default via 10.0.2.2"))
    }
  }

  @Test("a file written through the agent reads back, and the guest sees it")
  func fileRoundTrip() async throws {
    try await TestGuest.withMachine { vm in
      let agent = try await vm.waitForAgent(timeout: .seconds(5))
      let payload = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
      _ = try await agent.files.write { writer in
        try await writer.write(.with { $0.header.path = "/root/data.bin" })
        for chunk in stride(from: 0, to: payload.count, by: 65536) {
          try await writer.write(.with { $0.data = payload[chunk..<min(chunk + 65536, payload.count)] })
        }
        try await writer.write(.with { $0.finish = true })
      }
      let readBack = try await agent.files.read(.with { $0.path = "/root/data.bin" }) { response in
        var data = Data()
        for try await message in response.messages { data.append(message.data) }
        return data
      }
      #expect(readBack == payload)
      let size = try await vm.run(["sh", "-c", "wc -c < /root/data.bin"])
      #expect(size.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "200000")
    }
  }

  @Test("a guest killed mid-command gives a clear error and leaves nothing behind")
  func killedGuest() async throws {
    let configuration = try await TestGuest.configuration()
    let vm = QEMUMachine(configuration: configuration)
    _ = try await vm.boot(timeout: .seconds(480))
    let pid = vm.pid
    // QEMU is killed once the command has begun (its first output), however
    // long that takes on a busy host.
    await #expect {
      var request = Cove_Agent_V1_StartRequest()
      request.argv = ["sh", "-c", "echo started; sleep 60"]
      _ = try await vm.execute(request) { stream, data in
        if stream == .stdout, String(decoding: data, as: UTF8.self).contains("started"), let pid {
          kill(pid, SIGKILL)
        }
      }
    } throws: { error in
      guard case MachineError.exited(let console) = error else { return false }
      return console.contains("Linux version") || console.contains("cove-agent")
    }
    await vm.stop(grace: .seconds(1))
    #expect(vm.leftNothingBehind(pid: pid))
  }

  @Test("a missing kernel or image is reported before QEMU starts")
  func missingInputs() async throws {
    var configuration = try await TestGuest.configuration()
    configuration.kernel.vmlinuz = "/nonexistent/vmlinuz"
    let vm = QEMUMachine(configuration: configuration)
    await #expect {
      try await vm.start()
    } throws: { error in
      guard case MachineError.missingInput(let what, let path) = error else { return false }
      return what == "guest kernel" && path == "/nonexistent/vmlinuz"
    }
    #expect(vm.pid == nil)
    #expect(vm.leftNothingBehind(pid: nil))

    var assets = GuestAssets(home: TestGuest.home)
    assets.agent = TestGuest.agent
    await #expect {
      _ = try await assets.configuration(image: "no-such-image")
    } throws: { error in
      guard case ImageError.imageNotFound(let name, let available) = error else { return false }
      return name == "no-such-image" && available.contains("busybox")
    }
    assets.customKernel = "/nonexistent/bzImage"
    await #expect(throws: ImageError.kernelNotFound("/nonexistent/bzImage")) {
      _ = try await assets.configuration(image: "busybox")
    }
  }

  @Test("stop shuts the guest down and removes the overlay, sockets, memory file and log")
  func stopCleansUp() async throws {
    let configuration = try await TestGuest.configuration()
    let vm = QEMUMachine(configuration: configuration)
    _ = try await vm.boot(timeout: .seconds(480))
    let pid = vm.pid
    for file in [vm.directory.overlay, vm.directory.memory, vm.directory.agentSocket, vm.directory.qmpSocket] {
      #expect(FileManager.default.fileExists(atPath: file))
    }
    let status = try await vm.qmp?.status()
    #expect(status?.running == true)
    // The guest writes to its overlay, never to the base image.
    let before = try Data(contentsOf: URL(fileURLWithPath: configuration.rootImage)).hashValue
    _ = try await vm.run(["sh", "-c", "echo changed > /etc/hostname; sync"])
    await vm.stop(grace: .seconds(5))
    #expect(vm.leftNothingBehind(pid: pid))
    #expect(try Data(contentsOf: URL(fileURLWithPath: configuration.rootImage)).hashValue == before)
  }
}
