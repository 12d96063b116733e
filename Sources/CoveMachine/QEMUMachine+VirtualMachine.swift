import Foundation

extension QEMUMachine {
  public func bootGuest(timeout: Duration, permit: BootPermit?, admission: BootAdmission) async throws
    -> any GuestAgent
  {
    try await boot(timeout: timeout, permit: permit, admission: admission)
  }

  public func guestAgent(timeout: Duration) async throws -> any GuestAgent {
    try await waitForAgent(timeout: timeout)
  }

  public func consoleTail(limit: Int) -> String {
    let data = FileManager.default.contents(atPath: directory.console) ?? Data()
    return String(decoding: data.suffix(limit), as: UTF8.self)
  }
}
