import Foundation

/// A one-answer HTTP server on 127.0.0.1 (a free port), for guests to reach
/// through QEMU's user-mode network at 10.0.2.2.
final class LoopbackHTTPServer: @unchecked Sendable {
  let port: UInt16
  private let socketFD: Int32
  private let body: String

  init(body: String) throws {
    self.body = body
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    socketFD = fd
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard bound == 0, listen(fd, 8) == 0 else { throw TestError("cannot listen on 127.0.0.1") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    port = UInt16(bigEndian: address.sin_port)
    let response = "HTTP/1.0 200 OK\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
    Thread.detachNewThread {
      while true {
        let client = accept(fd, nil, nil)
        if client < 0 { return }
        var request = [UInt8](repeating: 0, count: 4096)
        _ = read(client, &request, request.count)
        _ = response.utf8CString.withUnsafeBufferPointer { write(client, $0.baseAddress, $0.count - 1) }
        close(client)
      }
    }
  }

  func stop() {
    shutdown(socketFD, Int32(SHUT_RDWR))
    close(socketFD)
  }
}

struct TestError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
