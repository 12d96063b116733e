import CoveOCI
import Foundation

/// The images the tests pull, made once per test run into one OCI layout:
///
/// - `features`: a multi-platform index (linux/amd64 and linux/arm64)
///   whose amd64 image has three layers: gzip (busybox-static with a link
///   per applet, /etc, files to be removed, `/sbin/init` pointing at a
///   systemd that is not there), zstd (a whiteout of a file and of a
///   directory, an opaque directory, a hard link, a setuid file, a file
///   with a capability, a file owned by uid 1000, a character device) and
///   uncompressed (a program linked against musl, with musl's loader);
///   its configuration sets Env, WorkingDir, User, Entrypoint, Cmd and
///   ExposedPorts.
/// - `features-extra`: the same first two layers plus one more, to show
///   the cache sharing a base.
/// - `distroless`: a glibc program with only the libraries it loads, no
///   shell, no /etc/passwd entry for its numeric user.
enum TestImages {
  static let prepared = Task { () throws -> OCILayoutBuilder in try await build() }

  static func layout() async throws -> OCILayoutBuilder { try await prepared.value }

  static let helloSource = """
    #include <stdio.h>
    #include <unistd.h>
    int main(int argc, char **argv) {
      char cwd[256];
    #ifdef __GLIBC__
      const char *libc = "glibc";
    #else
      const char *libc = "musl";
    #endif
      printf("hello libc=%s uid=%d cwd=%s", libc, (int)getuid(), getcwd(cwd, sizeof cwd) ? cwd : "?");
      for (int i = 1; i < argc; i++) printf(" %s", argv[i]);
      printf("\\n");
      return 0;
    }
    """

  static func build() async throws -> OCILayoutBuilder {
    // One directory per test process, named by its pid: the tests cannot
    // remove it when the run ends, so each run removes those of runs gone.
    let prefix = NSTemporaryDirectory() + "cove-test-images-"
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? []
    where entry.hasPrefix("cove-test-images-") {
      if let pid = Int32(entry.dropFirst("cove-test-images-".count)), pid != getpid(), kill(pid, 0) != 0 {
        try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + entry)
      }
    }
    let work = prefix + "\(getpid())"
    try? FileManager.default.removeItem(atPath: work)
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    let layout = try OCILayoutBuilder(root: work + "/layout")
    try Data(helloSource.utf8).write(to: URL(fileURLWithPath: work + "/hello.c"))

    // Layer 1: busybox and /etc.
    let base = work + "/base"
    try await sh(
      """
      set -e
      mkdir -p "$1/bin" "$1/sbin" "$1/etc/keep" "$1/usr/share/doomed" "$1/root" "$1/home/app"
      cp /bin/busybox "$1/bin/busybox"
      for applet in sh cat ls stat id echo test pwd env head readlink; do ln -s busybox "$1/bin/$applet"; done
      ln -s /lib/systemd/systemd "$1/sbin/init"
      printf 'root:x:0:0:root:/root:/bin/sh\\napp:x:1000:1000:app:/home/app:/bin/sh\\n' > "$1/etc/passwd"
      printf 'root:x:0:\\napp:x:1000:\\n' > "$1/etc/group"
      echo gone > "$1/etc/gone.txt"
      echo lower > "$1/etc/keep/a.txt"
      echo doomed > "$1/usr/share/doomed/x"
      chown 1000:1000 "$1/home/app"
      """, base)
    let layer1 = try await layout.layer(from: base, .gzip)

    // Layer 2: removals and the file kinds an image carries.
    let changes = work + "/changes"
    try await sh(
      """
      set -e
      mkdir -p "$1/etc/keep" "$1/usr/share" "$1/opt" "$1/usr/local/bin" "$1/home/app" "$1/work"
      touch "$1/etc/.wh.gone.txt" "$1/etc/keep/.wh..wh..opq" "$1/usr/share/.wh.doomed"
      echo upper > "$1/etc/keep/new.txt"
      echo shared > "$1/opt/data"
      ln "$1/opt/data" "$1/opt/data-link"
      printf '#!/bin/sh\\necho suid\\n' > "$1/usr/local/bin/suid"
      chmod 4755 "$1/usr/local/bin/suid"
      printf 'capped\\n' > "$1/usr/local/bin/capped"
      setcap cap_net_bind_service+ep "$1/usr/local/bin/capped"
      echo mine > "$1/home/app/owned"
      chown 1000:1000 "$1/home/app" "$1/home/app/owned"
      chmod 640 "$1/home/app/owned"
      mknod "$1/opt/null" c 1 3
      mkdir "$1/opt/sealed" && echo inside > "$1/opt/sealed/file" && chmod 555 "$1/opt/sealed"
      chown 1000:1000 "$1/work"
      """, changes)
    let layer2 = try await layout.layer(from: changes, .zstd)

    // Layer 3: a program linked against musl, and musl's loader.
    let musl = work + "/musl"
    try await sh(
      """
      set -e
      mkdir -p "$1/lib" "$1/usr/bin"
      musl-gcc -O1 -o "$1/usr/bin/hello-musl" "$2"
      cp /usr/lib/x86_64-linux-musl/libc.so "$1/lib/ld-musl-x86_64.so.1"
      """, musl, work + "/hello.c")
    let layer3 = try await layout.layer(from: musl, .none)

    let config: [String: Any] = [
      "Env": ["PATH=/usr/local/bin:/usr/bin:/bin", "GREETING=hello from the image"],
      "WorkingDir": "/work", "User": "app", "Entrypoint": ["/bin/sh", "-c"],
      "Cmd": ["echo \"$GREETING in $(pwd) as $(id -u)\""], "ExposedPorts": ["8080/tcp": [String: String]()],
    ]
    let amd64 = try layout.image(layers: [layer1, layer2, layer3], config: config)
    let other = work + "/other"
    try await sh("mkdir -p \"$1/etc\" && echo arm > \"$1/etc/arch\"", other)
    let arm64 = try layout.image(
      layers: [try await layout.layer(from: other, .gzip)], config: [:], architecture: "arm64")
    let index = try layout.index([arm64, amd64])

    let extra = work + "/extra"
    try await sh("mkdir -p \"$1/etc\" && echo extra > \"$1/etc/extra\"", extra)
    let extended = try layout.image(
      layers: [layer1, layer2, try await layout.layer(from: extra, .gzip)], config: config)

    // A distroless-style glibc image: the program and the libraries it loads.
    let distroless = work + "/distroless"
    try await sh(
      """
      set -e
      mkdir -p "$1/etc"
      gcc -O1 -o "$1/hello" "$2"
      for library in $(ldd "$1/hello" | grep -o '/[^ ]*'); do
        mkdir -p "$1$(dirname "$library")"
        cp -L "$library" "$1$library"
      done
      printf 'root:x:0:0:root:/root:/sbin/nologin\\n' > "$1/etc/passwd"
      """, distroless, work + "/hello.c")
    let glibc = try layout.image(
      layers: [try await layout.layer(from: distroless, .gzip)],
      config: ["Entrypoint": ["/hello"], "Cmd": ["from", "distroless"], "User": "65532:65532"])

    try layout.tag(["features": index, "features-extra": extended, "distroless": glibc])
    return layout
  }
}
