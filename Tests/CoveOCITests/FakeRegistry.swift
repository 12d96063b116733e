import CoveOCI
import Foundation

/// A small registry of the test's own over an OCI layout, for what the
/// real one cannot show: Docker Hub's token flow (401 with a Bearer
/// challenge, a token service, then the token) and a registry that lies
/// (a blob whose bytes do not match its digest, or that stops short).
final class FakeRegistry: @unchecked Sendable {
  enum Lie { case none, wrongBytes, truncated }

  let port: UInt16
  let layout: OCILayoutBuilder
  let token = "token-\(UUID().uuidString)"
  /// The token service wants these (user, password) when set.
  let account: (String, String)?
  let lie: Lie
  private let socketFD: Int32
  private let lock = NSLock()
  private var served: [String] = []

  var address: String { "127.0.0.1:\(port)" }
  var requests: [String] { lock.withLock { served } }

  init(layout: OCILayoutBuilder, account: (String, String)? = nil, lie: Lie = .none) throws {
    self.layout = layout
    self.account = account
    self.lie = lie
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    socketFD = fd
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
      }
    }
    guard ok, listen(fd, 16) == 0 else { throw TestFailure("cannot listen on 127.0.0.1") }
    port = UInt16(bigEndian: address.sin_port)
    Thread.detachNewThread { [self] in
      while true {
        let client = accept(fd, nil, nil)
        if client < 0 { return }
        Thread.detachNewThread { [self] in serve(client) }
      }
    }
  }

  func stop() {
    shutdown(socketFD, Int32(SHUT_RDWR))
    close(socketFD)
  }

  private func serve(_ client: Int32) {
    defer { close(client) }
    var request = Data()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while !request.contains(Data("\r\n\r\n".utf8)) {
      let n = read(client, &buffer, buffer.count)
      if n <= 0 { return }
      request.append(contentsOf: buffer[0..<n])
    }
    let text = String(decoding: request, as: UTF8.self)
    let lines = text.components(separatedBy: "\r\n")
    let target = lines[0].split(separator: " ").dropFirst().first.map(String.init) ?? "/"
    let authorization = lines.first { $0.lowercased().hasPrefix("authorization:") }
      .map { String($0.dropFirst("authorization:".count)).trimmingCharacters(in: .whitespaces) }
    lock.withLock { served.append(target) }
    let (status, headers, body, length) = answer(target, authorization)
    var head = "HTTP/1.1 \(status)\r\nConnection: close\r\nContent-Length: \(length ?? body.count)\r\n"
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    let bytes = Data((head + "\r\n").utf8) + body
    bytes.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let n = write(client, raw.baseAddress! + offset, raw.count - offset)
        if n <= 0 { return }
        offset += n
      }
    }
  }

  private func answer(_ target: String, _ authorization: String?)
    -> (String, [(String, String)], Data, Int?)
  {
    if target.hasPrefix("/token") {
      if let (user, password) = account {
        let expected = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        guard authorization == expected else { return ("401 Unauthorized", [], Data(), nil) }
      }
      return ("200 OK", [("Content-Type", "application/json")], Data(#"{"token":"\#(token)"}"#.utf8), nil)
    }
    guard authorization == "Bearer \(token)" else {
      let challenge =
        #"Bearer realm="http://\#(address)/token",service="fake-registry",scope="repository:cove/app:pull""#
      return ("401 Unauthorized", [("WWW-Authenticate", challenge)], Data(), nil)
    }
    let parts = target.split(separator: "/")
    guard parts.count >= 4, let kind = parts.dropLast().last, let name = parts.last else {
      return ("404 Not Found", [], Data(), nil)
    }
    var reference = String(name)
    if kind == "manifests", !reference.hasPrefix("sha256:") {
      guard let data = FileManager.default.contents(atPath: layout.root + "/index.json"),
        let index = try? JSONDecoder().decode(ImageIndex.self, from: data),
        let entry = index.manifests.first(where: { $0.annotations?["org.opencontainers.image.ref.name"] == reference })
      else { return ("404 Not Found", [], Data(), nil) }
      reference = entry.digest.description
    }
    guard let digest = try? Digest(parsing: reference),
      var data = FileManager.default.contents(atPath: layout.root + "/blobs/sha256/" + digest.hex)
    else { return ("404 Not Found", [], Data(), nil) }
    if kind == "manifests" {
      struct Probe: Decodable { var mediaType: String? }
      let type = (try? JSONDecoder().decode(Probe.self, from: data))?.mediaType ?? MediaType.ociManifest
      return ("200 OK", [("Content-Type", type)], data, nil)
    }
    let isLayer = data.count > 4096
    switch lie {
    case .wrongBytes where isLayer:
      data[data.count / 2] ^= 0xff
    case .truncated where isLayer:
      data = data.prefix(data.count / 2)
    default: break
    }
    return ("200 OK", [("Content-Type", "application/octet-stream")], data, nil)
  }
}
