#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Retries a system call interrupted by a signal; returns its result or throws
/// an ``AgentError`` naming the operation and path.
@discardableResult
func retrying<T: BinaryInteger>(
  _ operation: String, _ path: String, _ call: () -> T
) throws(AgentError) -> T {
  while true {
    let result = call()
    if result >= 0 { return result }
    let err = errno
    if err == EINTR { continue }
    throw AgentError.system(operation, path, errno: err)
  }
}

/// Throws when a C shim returned an errno.
func check(_ operation: String, _ path: String, _ err: Int32) throws(AgentError) {
  if err != 0 { throw AgentError.system(operation, path, errno: err) }
}

/// Monotonic milliseconds.
func monotonicMilliseconds() -> UInt64 {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
}
