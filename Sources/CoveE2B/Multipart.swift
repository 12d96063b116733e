import Foundation

/// A `multipart/form-data` body, read whole: what the SDK sends for a
/// `files.write` of bytes or text (it builds that body in memory too).
struct MultipartForm: Equatable {
  struct Part: Equatable {
    var name: String?
    var filename: String?
    var data: Data
  }

  var parts: [Part]

  enum ParseError: Error, Equatable, CustomStringConvertible {
    case noBoundary
    case malformed(String)

    var description: String {
      switch self {
      case .noBoundary: "a multipart body needs a boundary in its Content-Type"
      case .malformed(let why): "the multipart body is malformed: \(why)"
      }
    }
  }

  /// The boundary of a `multipart/form-data; boundary=...` Content-Type.
  static func boundary(contentType: String) -> String? {
    for parameter in contentType.split(separator: ";").dropFirst() {
      let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
      if pair.count == 2, pair[0].lowercased() == "boundary" {
        return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
      }
    }
    return nil
  }

  init(parts: [Part]) { self.parts = parts }

  init(body: Data, boundary: String) throws(ParseError) {
    let delimiter = Data("--\(boundary)".utf8)
    let separator = Data("\r\n\r\n".utf8)
    guard var cursor = body.range(of: delimiter)?.upperBound else { throw .malformed("no boundary line") }
    var parts: [Part] = []
    while true {
      // After a delimiter: "--" ends the body, CRLF starts a part.
      if body[cursor...].starts(with: Data("--".utf8)) { break }
      guard body[cursor...].starts(with: Data("\r\n".utf8)) else { throw .malformed("a boundary line without CRLF") }
      cursor += 2
      guard let headerEnd = body.range(of: separator, in: cursor..<body.endIndex) else {
        throw .malformed("a part without the blank line after its headers")
      }
      let headers = String(decoding: body[cursor..<headerEnd.lowerBound], as: UTF8.self)
      let contentStart = headerEnd.upperBound
      guard let next = body.range(of: Data("\r\n".utf8) + delimiter, in: contentStart..<body.endIndex) else {
        throw .malformed("a part that does not end with the boundary")
      }
      var part = Part(data: body[contentStart..<next.lowerBound])
      for line in headers.components(separatedBy: "\r\n")
      where line.lowercased().hasPrefix("content-disposition:") {
        part.name = Self.parameter("name", in: line)
        part.filename = Self.parameter("filename", in: line)
      }
      parts.append(part)
      cursor = next.upperBound
    }
    self.parts = parts
  }

  /// A quoted or bare parameter of a header line.
  static func parameter(_ name: String, in line: String) -> String? {
    for piece in line.split(separator: ";").dropFirst() {
      let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
      guard pair.count == 2, pair[0].lowercased() == name else { continue }
      var value = pair[1]
      if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
        value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
      }
      return value
    }
    return nil
  }
}
