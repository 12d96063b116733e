#ifndef CCOVE_BRIDGE_H
#define CCOVE_BRIDGE_H

/// Relays the bytes of a virtio-serial port to a fresh connection to the Unix
/// socket at `socket_path`, one connection per host session: when the host
/// hangs up (the port reads end of file) the connection is closed, and the
/// next bytes from the host open a new one. Runs on threads of its own and
/// returns at once; returns 0 or an errno.
int cove_bridge_serial_port(const char *port_path, const char *socket_path);

/// Listens on vsock port `port` and relays every connection to the Unix
/// socket at `socket_path`. Returns 0 or an errno (EAFNOSUPPORT without vsock).
int cove_bridge_vsock(unsigned int port, const char *socket_path);

#endif
