import Foundation
import Hummingbird

// The JSON of E2B's control plane, as the SDK's generated models read and
// write it (camelCase, with `allow_internet_access` as E2B spells it).

/// `POST /sandboxes` and `POST /v2/sandboxes`.
struct NewSandboxBody: Decodable {
  var templateID: String
  var timeout: Int?
  var autoPause: Bool?
  var secure: Bool?
  var allowInternetAccess: Bool?
  var metadata: [String: String]?
  var envVars: [String: String]?
  var volumeMounts: [JSONIgnored]?

  enum CodingKeys: String, CodingKey {
    case templateID, timeout, autoPause, secure, metadata, envVars, volumeMounts
    case allowInternetAccess = "allow_internet_access"
  }
}

/// A value whose content is not read.
struct JSONIgnored: Decodable {
  init(from decoder: any Decoder) throws {}
}

/// What create and connect answer.
struct SandboxBody: ResponseEncodable {
  var templateID: String
  var sandboxID: String
  var alias: String?
  var clientID: String
  var envdVersion: String
  var envdAccessToken: String
  var trafficAccessToken: String
  var domain: String?
}

/// `GET /sandboxes/{id}` and the entries of the lists.
struct SandboxDetailBody: ResponseEncodable {
  var templateID: String
  var sandboxID: String
  var alias: String?
  var clientID: String
  var startedAt: Date
  var endAt: Date
  var envdVersion: String
  var cpuCount: Int
  var memoryMB: Int
  var diskSizeMB: Int
  var state: String
  var metadata: [String: String]
  var envdAccessToken: String?
  var domain: String?
}

struct TimeoutBody: Decodable {
  var timeout: Int
}

struct RefreshBody: Decodable {
  var duration: Int?
}

struct ConnectBody: Decodable {
  var timeout: Int?
}

struct SnapshotRequestBody: Decodable {
  var name: String?
}

struct SnapshotBody: ResponseEncodable {
  var snapshotID: String
  var names: [String]
}

struct MetricBody: ResponseEncodable {
  var timestamp: Date
  var timestampUnix: Int
  var cpuCount: Int
  var cpuUsedPct: Double
  var memUsed: UInt64
  var memTotal: UInt64
  var memCache: UInt64
  var diskUsed: UInt64
  var diskTotal: UInt64
}

struct SandboxMetricsBody: ResponseEncodable {
  var sandboxes: [String: MetricBody]
}

struct LogLineBody: ResponseEncodable {
  var timestamp: Date
  var line: String
}

struct LogEntryBody: ResponseEncodable {
  var timestamp: Date
  var message: String
  var level: String
  var fields: [String: String]
}

/// `GET /sandboxes/{id}/logs` (v1: `logs` and `logEntries`) and v2 (`logs` of entries).
struct LogsBody: ResponseEncodable {
  var logs: [LogLineBody]
  var logEntries: [LogEntryBody]
}

struct LogsV2Body: ResponseEncodable {
  var logs: [LogEntryBody]
}

/// An array answer with a status and headers of its own.
struct ListResponse<Element: Encodable & Sendable>: ResponseGenerator {
  var elements: [Element]
  var status: HTTPResponse.Status = .ok
  var headers: HTTPFields = [:]

  func response(from request: Request, context: some RequestContext) throws -> Response {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.withoutEscapingSlashes]
    var headers = self.headers
    headers[.contentType] = "application/json"
    return Response(
      status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(data: try encoder.encode(elements))))
  }
}
