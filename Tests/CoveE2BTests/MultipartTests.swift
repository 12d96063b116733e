import Foundation
import HTTPTypes
import Testing

@testable import CoveE2B

@Suite("Multipart uploads")
struct MultipartTests {
  @Test("parts keep their names, file names and bytes (CRLF inside the data too)")
  func parts() throws {
    let body = Data(
      ("--b0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"/tmp/a.txt\"\r\n"
        + "Content-Type: application/octet-stream\r\n\r\nline\r\nmore\r\n"
        + "--b0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b\"\r\n\r\n\r\n--b0--\r\n").utf8)
    let form = try MultipartForm(body: body, boundary: "b0")
    #expect(
      form.parts == [
        .init(name: "file", filename: "/tmp/a.txt", data: Data("line\r\nmore".utf8)),
        .init(name: "file", filename: "b", data: Data()),
      ])
    #expect(MultipartForm.boundary(contentType: "multipart/form-data; boundary=\"b0\"") == "b0")
  }

  @Test("a body cut before its closing boundary is refused")
  func cut() {
    let body = Data("--b0\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\npartial".utf8)
    #expect(throws: MultipartForm.ParseError.self) { try MultipartForm(body: body, boundary: "b0") }
  }
}

@Suite("envd addressing")
struct EnvdTargetTests {
  @Test("the SDK's headers name the sandbox and port; else a {port}-{id}.{domain} host does")
  func targets() {
    let headers: HTTPFields = [EnvdTarget.idHeader: "sb-123abc", EnvdTarget.portHeader: "49983"]
    #expect(EnvdTarget(headers: headers, host: "127.0.0.1:3000") == EnvdTarget(sandboxID: "sb-123abc", port: 49983))
    #expect(
      EnvdTarget(headers: [:], host: "8080-sb-123abc.localhost:3000") == EnvdTarget(sandboxID: "sb-123abc", port: 8080))
    #expect(EnvdTarget(headers: [:], host: "127.0.0.1:3000") == nil)
    #expect(EnvdTarget(headers: [:], host: "localhost") == nil)
  }
}
