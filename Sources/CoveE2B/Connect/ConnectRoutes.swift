import CoveMachine
import CoveSandbox
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwiftProtobuf
import Synchronization

/// The Connect protocol over Hummingbird, for envd's services: unary
/// calls, server streams and client streams, each a POST to
/// `/{package.Service}/{Method}`.
enum ConnectRoutes {
  /// The largest message taken (and so the largest SendInput).
  static let maxMessageBytes = 16 << 20
  static let keepAliveHeader = HTTPField.Name("Keepalive-Ping-Interval")!

  /// A unary call: one message in the body, one message (or an error
  /// with its HTTP status) back.
  static func unary<In: Message & Sendable, Out: Message & Sendable>(
    _ router: Router<E2BRequestContext>, _ path: String, service: E2BService,
    _ handler: @escaping @Sendable (In, EnvdCall) async throws -> Out
  ) {
    router.post(RouterPath(path)) { request, _ -> Response in
      guard let codec = ConnectCodec(unaryContentType: request.headers[.contentType] ?? "") else {
        return unaryError(ConnectError(.unimplemented, "a unary call takes application/json or application/proto"))
      }
      let call = try await service.envdCall(request)
      do {
        let body = try await collect(request.body)
        let input = try codec.decode(body, as: In.self)
        let output = try await handler(input, call)
        return Response(
          status: .ok, headers: [.contentType: codec.unaryContentType],
          body: ResponseBody(byteBuffer: try codec.encode(output)))
      } catch {
        return unaryError(connectError(error))
      }
    }
  }

  /// A server stream: one enveloped message in, enveloped messages out,
  /// then the end-of-stream message with the error if there was one. With
  /// `Keepalive-Ping-Interval: S`, `keepalive` goes out every S seconds.
  static func serverStream<In: Message & Sendable, Out: Message & Sendable>(
    _ router: Router<E2BRequestContext>, _ path: String, service: E2BService, keepalive: Out,
    _ handler:
      @escaping @Sendable (In, EnvdCall, _ send: @escaping @Sendable (Out) async throws -> Void) async throws
      -> Void
  ) {
    router.post(RouterPath(path)) { request, _ -> Response in
      guard let codec = ConnectCodec(streamContentType: request.headers[.contentType] ?? "") else {
        return unaryError(ConnectError(.unimplemented, "a stream takes application/connect+json or +proto"))
      }
      let call = try await service.envdCall(request)
      let interval = request.headers[keepAliveHeader].flatMap(Int.init).map { max(1, $0) }
      // The request is read before the response begins: a body read from
      // inside the response's writer was seen empty now and then.
      let input: In
      do {
        input = try await firstMessage(request.body, codec: codec, as: In.self)
      } catch {
        return streamResponse(codec: codec) { _ in throw error }
      }
      return streamResponse(codec: codec) { send in
        try await withThrowingTaskGroup(of: Void.self) { group in
          if let interval {
            group.addTask {
              while true {
                try await Task.sleep(for: .seconds(interval))
                try await send(try codec.encode(keepalive))
              }
            }
          }
          try await handler(input, call) { message in try await send(try codec.encode(message)) }
          group.cancelAll()
        }
      }
    }
  }

  /// A client stream: enveloped messages in, as they arrive, then one
  /// message and the end-of-stream message out.
  static func clientStream<In: Message & Sendable, Out: Message & Sendable>(
    _ router: Router<E2BRequestContext>, _ path: String, service: E2BService,
    _ handler: @escaping @Sendable (GuestStream<In>, EnvdCall) async throws -> Out
  ) {
    router.post(RouterPath(path)) { request, _ -> Response in
      guard let codec = ConnectCodec(streamContentType: request.headers[.contentType] ?? "") else {
        return unaryError(ConnectError(.unimplemented, "a stream takes application/connect+json or +proto"))
      }
      let call = try await service.envdCall(request)
      let messages = EnvelopeMessages<In>(body: request.body, codec: codec)
      // The whole input is handled before the response begins, which
      // carries only the one answer.
      let output: Result<Out, any Error>
      do {
        output = .success(try await handler(GuestStream(messages) { $0 }, call))
      } catch {
        output = .failure(error)
      }
      return streamResponse(codec: codec) { send in
        try await send(try codec.encode(try output.get()))
      }
    }
  }

  /// A 200 response of envelopes that `produce` sends, closed by the
  /// end-of-stream message (with the error `produce` threw, if any).
  static func streamResponse(
    codec: ConnectCodec,
    _ produce: @escaping @Sendable (_ send: @escaping @Sendable (ByteBuffer) async throws -> Void) async throws -> Void
  ) -> Response {
    Response(
      status: .ok, headers: [.contentType: codec.streamContentType],
      body: ResponseBody { writer in
        let out = SerialWriter(writer)
        var end: ConnectError?
        do {
          try await produce { payload in try await out.write(ConnectEnvelope(payload: payload).encoded()) }
        } catch {
          end = connectError(error)
        }
        let last = ConnectEnvelope(flags: .endStream, payload: ByteBuffer(data: ConnectError.endOfStream(end)))
        try await out.write(last.encoded())
        try await out.finish()
      })
  }

  static func unaryError(_ error: ConnectError) -> Response {
    Response(
      status: error.code.httpStatus, headers: [.contentType: "application/json"],
      body: ResponseBody(byteBuffer: ByteBuffer(data: error.unaryBody())))
  }

  static func collect(_ body: RequestBody) async throws(ConnectError) -> ByteBuffer {
    do {
      return try await body.collect(upTo: maxMessageBytes)
    } catch let error as HTTPError where error.status == .contentTooLarge {
      throw ConnectError(.resourceExhausted, "the message is over the limit of \(maxMessageBytes) bytes")
    } catch {
      throw ConnectError(.canceled, "the request body broke: \(error)")
    }
  }

  /// The one message of a server stream's request.
  static func firstMessage<In: Message>(_ body: RequestBody, codec: ConnectCodec, as type: In.Type) async throws -> In {
    var reader = ConnectEnvelopeReader(maxMessageBytes: maxMessageBytes)
    let bytes = try await collect(body)
    reader.append(bytes)
    do {
      guard let envelope = try reader.next(), !envelope.flags.contains(.endStream) else {
        try reader.finish()
        throw ConnectError(.invalidArgument, "the stream's request has no message (\(bytes.readableBytes) bytes)")
      }
      return try codec.decode(envelope.payload, as: In.self)
    } catch let error as ConnectFramingError {
      throw framingError(error)
    }
  }

  static func framingError(_ error: ConnectFramingError) -> ConnectError {
    switch error {
    case .messageTooLarge: ConnectError(.resourceExhausted, error.description)
    case .compressed: ConnectError(.unimplemented, error.description)
    case .truncated, .unknownFlags: ConnectError(.invalidArgument, error.description)
    }
  }

  /// Any error of a handler as a Connect error.
  static func connectError(_ error: any Error) -> ConnectError {
    switch error {
    case let error as ConnectError: return error
    case let error as ConnectFramingError: return framingError(error)
    case let error as GuestError: return ConnectError(code(error.code), error.message)
    case let error as SandboxError:
      let code: ConnectError.Code =
        switch error.kind {
        case .notFound: .notFound
        case .conflict: .failedPrecondition
        case .invalid: .invalidArgument
        case .tooMany, .storage: .resourceExhausted
        case .unavailable: .unavailable
        case .failed: .internal
        }
      return ConnectError(code, error.description)
    case let error as E2BError: return ConnectError(.invalidArgument, error.message)
    case is CancellationError: return ConnectError(.canceled, "the call was cancelled")
    default: return ConnectError(.internal, "\(error)")
    }
  }

  static func code(_ code: GuestError.Code) -> ConnectError.Code {
    switch code {
    case .notFound: .notFound
    case .alreadyExists: .alreadyExists
    case .invalidArgument: .invalidArgument
    case .outOfRange: .outOfRange
    case .permissionDenied: .permissionDenied
    case .failedPrecondition: .failedPrecondition
    case .resourceExhausted, .noSpace: .resourceExhausted
    case .deadlineExceeded: .deadlineExceeded
    case .unavailable: .unavailable
    case .cancelled: .canceled
    case .aborted: .aborted
    case .unimplemented: .unimplemented
    case .unauthenticated: .unauthenticated
    case .dataLoss: .dataLoss
    case .internalError: .internal
    case .unknown: .unknown
    }
  }
}

/// The messages of a client stream's body, decoded as they arrive.
struct EnvelopeMessages<Element: Message & Sendable>: AsyncSequence, Sendable {
  let body: RequestBody
  let codec: ConnectCodec

  struct AsyncIterator: AsyncIteratorProtocol {
    var chunks: RequestBody.AsyncIterator
    var reader = ConnectEnvelopeReader(maxMessageBytes: ConnectRoutes.maxMessageBytes)
    let codec: ConnectCodec
    var ended = false

    mutating func next() async throws -> Element? {
      while !ended {
        if let envelope = try reader.next() {
          if envelope.flags.contains(.endStream) {
            ended = true
            return nil
          }
          return try codec.decode(envelope.payload, as: Element.self)
        }
        guard let chunk = try await chunks.next() else {
          ended = true
          try reader.finish()
          return nil
        }
        reader.append(chunk)
      }
      return nil
    }
  }

  func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: body.makeAsyncIterator(), codec: codec) }
}

/// Writes to a response body from several tasks (a stream's messages and
/// its keepalives), one write at a time, in the order they were asked for.
final class SerialWriter: @unchecked Sendable {
  // Guarded by `turns`: only the task holding the turn touches it.
  private var writer: any ResponseBodyWriter
  private let turns = AsyncTurns()

  init(_ writer: any ResponseBodyWriter) { self.writer = writer }

  func write(_ buffer: ByteBuffer) async throws {
    await turns.take()
    defer { turns.give() }
    try await writer.write(buffer)
  }

  func finish() async throws {
    await turns.take()
    defer { turns.give() }
    try await writer.finish(nil)
  }
}

/// A first-come first-served lock for async code.
final class AsyncTurns: Sendable {
  private struct State {
    var held = false
    var waiting: [CheckedContinuation<Void, Never>] = []
  }
  private let state = Mutex(State())

  func take() async {
    await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
      let granted = state.withLock { state in
        if state.held {
          state.waiting.append(waiter)
          return false
        }
        state.held = true
        return true
      }
      if granted { waiter.resume() }
    }
  }

  func give() {
    let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
      if state.waiting.isEmpty {
        state.held = false
        return nil
      }
      return state.waiting.removeFirst()
    }
    next?.resume()
  }
}
