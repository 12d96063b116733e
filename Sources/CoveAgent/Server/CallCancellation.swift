import GRPCCore

/// Runs `body` and calls `onEnd` once if the call is cancelled before
/// `body` returns: by its client (a reset stream, a closed connection), by
/// its deadline, by the server's shutdown, or by the cancellation of the
/// task that serves it.
///
/// gRPC reports a cancelled call through the server context's cancellation
/// handle and does not cancel the handler's task. A handler that waits on
/// something quiet (a `sleep 100`, a directory nobody changes) would
/// otherwise never notice that its client left, and keep what it holds.
func untilCallEnds<T>(
  _ body: () async throws -> T,
  onCancel onEnd: @escaping @Sendable () -> Void
) async throws -> T {
  try await withTaskCancellationHandler {
    try await withRPCCancellationHandler(operation: body, onCancelRPC: onEnd)
  } onCancel: {
    onEnd()
  }
}
