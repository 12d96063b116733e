import CoveMachine
import Foundation
import Testing

@Suite("Stopping a VM", .serialized, .timeLimit(.minutes(10)))
struct StopTests {
  @Test("stop called from a cancelled task still shuts the guest down and leaves nothing behind")
  func stopFromCancelledTask() async throws {
    let vm = QEMUMachine(configuration: try await TestGuest.configuration())
    _ = try await vm.boot(timeout: .seconds(480))
    let pid = vm.pid
    let stopping = Task {
      withUnsafeCurrentTask { $0?.cancel() }
      await vm.stop(grace: .seconds(5))
    }
    await stopping.value
    #expect(vm.leftNothingBehind(pid: pid))
  }
}
