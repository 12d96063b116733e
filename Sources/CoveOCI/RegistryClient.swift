import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// A client of the OCI distribution API, read-only: manifests and blobs,
/// with the authentication registries use: none, HTTP basic, and Docker's
/// token flow (a 401 whose `WWW-Authenticate: Bearer realm=…` names a
/// token service; the token is fetched, with the credential if there is
/// one, and kept for the repository).
public actor RegistryClient {
  public struct Options: Sendable {
    /// Speak plain HTTP to the registry (a local or test registry).
    public var insecure = false
    /// Blobs larger than this are refused before a byte is fetched.
    public var maxBlobSize: Int64 = 16 << 30
    public var credentials = RegistryCredentials()

    public init(insecure: Bool = false, maxBlobSize: Int64 = 16 << 30, credentials: RegistryCredentials = .init()) {
      self.insecure = insecure
      self.maxBlobSize = maxBlobSize
      self.credentials = credentials
    }
  }

  let options: Options
  let http: HTTPClient
  let logger: Logger
  /// The Authorization header that worked, per registry and repository.
  private var authorizations: [String: String] = [:]

  public init(options: Options = .init(), http: HTTPClient = .shared, logger: Logger = Logger(label: "cove.oci")) {
    self.options = options
    self.http = http
    self.logger = logger
  }

  /// Largest manifest or index read into memory.
  static let manifestLimit = 4 << 20

  /// The manifest or index `reference` names (a tag or a digest), its media
  /// type, and its digest, checked against the reference's digest if it
  /// has one.
  public func manifest(_ image: ImageReference, reference: String? = nil) async throws(OCIError)
    -> (data: Data, mediaType: String, digest: Digest)
  {
    let name = reference ?? image.manifestReference
    let response = try await send(
      image, path: "manifests/\(name)", accept: MediaType.accepted.joined(separator: ", "), timeout: .seconds(120))
    try check(response, image, what: "manifest \(name)")
    let data: Data
    do {
      let body = try await response.body.collect(upTo: Self.manifestLimit)
      data = Data(body.readableBytesView)
    } catch {
      throw OCIError(.registry, "reading manifest \(name) of \(image)", underlying: error)
    }
    let digest = Digest(hashing: data)
    if let expected = try? Digest(parsing: name), expected != digest {
      throw OCIError(
        .digestMismatch, "the registry sent manifest \(digest) for \(expected): its content does not match the digest")
    }
    var mediaType = response.headers.first(name: "Content-Type")?.split(separator: ";").first.map(String.init) ?? ""
    struct Probe: Decodable { var mediaType: String? }
    if let declared = (try? JSONDecoder().decode(Probe.self, from: data))?.mediaType { mediaType = declared }
    return (data, mediaType, digest)
  }

  /// Streams blob `descriptor` into `writer`, calling `progress` with the
  /// bytes received so far; the writer checks size and digest on commit.
  public func fetchBlob(
    _ image: ImageReference, _ descriptor: Descriptor, into writer: BlobWriter,
    progress: @Sendable (Int64) -> Void = { _ in }
  ) async throws(OCIError) {
    guard descriptor.size <= options.maxBlobSize else {
      throw OCIError(
        .tooLarge,
        "blob \(descriptor.digest) is \(descriptor.size) bytes, over the limit of \(options.maxBlobSize) (--max-layer-size)"
      )
    }
    let response = try await send(image, path: "blobs/\(descriptor.digest)", accept: nil, timeout: .hours(6))
    try check(response, image, what: "blob \(descriptor.digest)")
    do {
      for try await buffer in response.body {
        try buffer.withUnsafeReadableBytes { raw throws(OCIError) in try writer.write(raw) }
        progress(writer.written)
      }
    } catch let error as OCIError {
      throw error
    } catch {
      throw OCIError(.registry, "downloading blob \(descriptor.digest) from \(image.registry)", underlying: error)
    }
  }

  // MARK: - Requests and authentication

  func url(_ image: ImageReference, _ path: String) -> String {
    "\(options.insecure ? "http" : "https")://\(image.apiHost)/v2/\(image.repository)/\(path)"
  }

  func send(_ image: ImageReference, path: String, accept: String?, timeout: TimeAmount) async throws(OCIError)
    -> HTTPClientResponse
  {
    let key = "\(image.registry)/\(image.repository)"
    var tried = false
    while true {
      var request = HTTPClientRequest(url: url(image, path))
      if let accept { request.headers.add(name: "Accept", value: accept) }
      if let authorization = authorizations[key] { request.headers.add(name: "Authorization", value: authorization) }
      let response: HTTPClientResponse
      do {
        response = try await http.execute(request, timeout: timeout)
      } catch {
        throw OCIError(.registry, "cannot reach registry \(image.registry)", underlying: error)
      }
      guard response.status == .unauthorized, !tried,
        let header = response.headers.first(name: "WWW-Authenticate"), let challenge = AuthChallenge(parsing: header)
      else { return response }
      tried = true
      authorizations[key] = try await authorize(challenge, image)
    }
  }

  func authorize(_ challenge: AuthChallenge, _ image: ImageReference) async throws(OCIError) -> String {
    let credential = options.credentials.credential(for: image.registry)
    switch challenge.scheme {
    case "basic":
      guard let credential else {
        throw OCIError(
          .unauthorized,
          "registry \(image.registry) wants a user name and password; log in with docker login or pass --username and --password"
        )
      }
      return credential.basicAuthorization
    case "bearer":
      guard let realm = challenge.parameters["realm"], var components = URLComponents(string: realm) else {
        throw OCIError(.registry, "registry \(image.registry) asked for a token without saying where to get one")
      }
      var query = components.queryItems ?? []
      if let service = challenge.parameters["service"] { query.append(URLQueryItem(name: "service", value: service)) }
      query.append(URLQueryItem(name: "scope", value: "repository:\(image.repository):pull"))
      components.queryItems = query
      guard let tokenURL = components.url?.absoluteString else {
        throw OCIError(.registry, "registry \(image.registry) named a token service that is not a URL: \(realm)")
      }
      var request = HTTPClientRequest(url: tokenURL)
      if let credential { request.headers.add(name: "Authorization", value: credential.basicAuthorization) }
      let body: ByteBuffer
      let status: HTTPResponseStatus
      do {
        let response = try await http.execute(request, timeout: .seconds(60))
        status = response.status
        body = try await response.body.collect(upTo: 1 << 20)
      } catch {
        throw OCIError(.registry, "cannot get a token for \(image) from \(realm)", underlying: error)
      }
      guard status == .ok else {
        let refused = status == .unauthorized || status == .forbidden
        throw OCIError(
          refused ? .unauthorized : .registry,
          refused
            ? "the token service of \(image.registry) refused "
              + (credential == nil ? "anonymous access" : "the credentials for \(credential!.username)")
            : "the token service \(realm) answered \(status.code)")
      }
      struct Token: Decodable {
        var token: String?
        var access_token: String?
      }
      guard let decoded = try? JSONDecoder().decode(Token.self, from: Data(body.readableBytesView)),
        let token = decoded.token ?? decoded.access_token, !token.isEmpty
      else { throw OCIError(.registry, "the token service \(realm) answered without a token") }
      return "Bearer \(token)"
    default:
      throw OCIError(.unsupported, "registry \(image.registry) asks for \(challenge.scheme) authentication")
    }
  }

  func check(_ response: HTTPClientResponse, _ image: ImageReference, what: String) throws(OCIError) {
    switch response.status.code {
    case 200: return
    case 401, 403:
      let given = options.credentials.credential(for: image.registry) != nil
      throw OCIError(
        .unauthorized,
        "registry \(image.registry) refused access to \(image.repository) ("
          + (given
            ? "the credentials were not accepted" : "no credentials; log in with docker login or pass --username")
          + ")")
    case 404:
      throw OCIError(.notFound, "\(what) not found in \(image.registry)/\(image.repository)")
    default:
      throw OCIError(.registry, "registry \(image.registry) answered \(response.status.code) for \(what)")
    }
  }
}
