/// What can go wrong while preparing a guest: kernels, initramfs, images.
public enum ImageError: Error, CustomStringConvertible, Equatable {
  case commandFailed(command: String, status: String, output: String)
  case programMissing(String, package: String)
  case kernelNotFound(String)
  case kernelPackageUnknown(String)
  case moduleMissing(String)
  case agentNotFound([String])
  case imageNotFound(String, available: [String])
  case imageExists(String)
  case invalidName(String)
  case invalidSource(String)
  case io(String, String)

  public var description: String {
    switch self {
    case .commandFailed(let command, let status, let output):
      let tail = output.split(separator: "\n").suffix(15).joined(separator: "\n")
      return "\(command) failed (\(status))" + (tail.isEmpty ? "" : ":\n\(tail)")
    case .programMissing(let program, let package):
      return "\(program) is not installed; install it with: apt-get install -y \(package)"
    case .kernelNotFound(let path): return "no guest kernel at \(path)"
    case .kernelPackageUnknown(let why): return "cannot find the guest kernel package: \(why)"
    case .moduleMissing(let name): return "kernel module \(name) is not in the kernel's module tree"
    case .agentNotFound(let places):
      return "the static guest agent was not found (looked at \(places.joined(separator: ", "))); "
        + "build it with scripts/build-agent or set COVE_AGENT"
    case .imageNotFound(let name, let available):
      return "no image named \(name)"
        + (available.isEmpty ? "; none are built yet" : "; built: \(available.joined(separator: ", "))")
        + " (build one with: cove image build NAME)"
    case .imageExists(let name): return "an image named \(name) already exists; remove it first"
    case .invalidName(let name):
      return "invalid image name \(name): use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
    case .invalidSource(let why): return "cannot build the image: \(why)"
    case .io(let what, let why): return "\(what): \(why)"
    }
  }
}
