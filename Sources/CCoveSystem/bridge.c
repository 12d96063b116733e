#define _GNU_SOURCE
#include "CCoveBridge.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

static int connect_unix(const char *path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
  for (int attempt = 0; attempt < 500; attempt++) {
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) return fd;
    if (errno != ENOENT && errno != ECONNREFUSED && errno != EINTR) break;
    usleep(10000);
  }
  close(fd);
  return -1;
}

static int write_all(int fd, const char *buf, ssize_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, (size_t)n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        poll(&p, 1, 100);
        continue;
      }
      return -1;
    }
    buf += w;
    n -= w;
  }
  return 0;
}

struct pump {
  int from;
  int to;
};

/* Copies until `from` ends, then shuts the write side of `to`. */
static void *pump_thread(void *arg) {
  struct pump p = *(struct pump *)arg;
  free(arg);
  char buf[65536];
  for (;;) {
    ssize_t n = read(p.from, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || write_all(p.to, buf, n) < 0) break;
  }
  shutdown(p.to, SHUT_WR);
  return NULL;
}

struct serial {
  int port;
  char *socket_path;
};

/* Whether a read from the port is the start of a new HTTP/2 connection:
   the client's preface, which no frame of an open connection begins with. */
static int is_http2_preface(const char *buf, ssize_t n) {
  static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  return n >= (ssize_t)(sizeof preface - 1) && memcmp(buf, preface, sizeof preface - 1) == 0;
}

static void *serial_thread(void *arg) {
  struct serial s = *(struct serial *)arg;
  free(arg);
  char buf[65536];
  ssize_t carried = 0;
  for (;;) {
    /* Without a host the port reads end of file at once: wait, don't spin. */
    ssize_t n = carried > 0 ? carried : read(s.port, buf, sizeof buf);
    carried = 0;
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      usleep(20000);
      continue;
    }
    int conn = connect_unix(s.socket_path);
    if (conn < 0) continue;
    struct pump *back = malloc(sizeof *back);
    back->from = conn;
    back->to = s.port;
    pthread_t t;
    int have_back = pthread_create(&t, NULL, pump_thread, back) == 0;
    if (!have_back) free(back);
    int ok = write_all(conn, buf, n) == 0;
    while (ok) {
      n = read(s.port, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break; /* the host hung up */
      /* The host went away and came back without the guest seeing it
         between two reads (a VM restored from a snapshot taken while the
         host was connected, on a busy host): the old session is over, and
         these bytes open the next one. */
      if (is_http2_preface(buf, n)) {
        carried = n;
        break;
      }
      ok = write_all(conn, buf, n) == 0;
    }
    shutdown(conn, SHUT_RDWR);
    if (have_back) pthread_join(t, NULL);
    close(conn);
  }
  return NULL;
}

int cove_bridge_serial_port(const char *port_path, const char *socket_path) {
  int port = open(port_path, O_RDWR | O_CLOEXEC);
  if (port < 0) return errno;
  struct serial *s = malloc(sizeof *s);
  s->port = port;
  s->socket_path = strdup(socket_path);
  pthread_t t;
  int rc = pthread_create(&t, NULL, serial_thread, s);
  if (rc != 0) {
    close(port);
    free(s->socket_path);
    free(s);
    return rc;
  }
  pthread_detach(t);
  return 0;
}

struct relay {
  int conn;
  char *socket_path;
};

static void *relay_thread(void *arg) {
  struct relay r = *(struct relay *)arg;
  free(arg);
  int upstream = connect_unix(r.socket_path);
  if (upstream >= 0) {
    struct pump *back = malloc(sizeof *back);
    back->from = upstream;
    back->to = r.conn;
    pthread_t t;
    if (pthread_create(&t, NULL, pump_thread, back) == 0) {
      struct pump *fwd = malloc(sizeof *fwd);
      fwd->from = r.conn;
      fwd->to = upstream;
      pump_thread(fwd);
      pthread_join(t, NULL);
    } else {
      free(back);
    }
    close(upstream);
  }
  close(r.conn);
  return NULL;
}

struct vsock_listener {
  int fd;
  char *socket_path;
};

static void *vsock_accept_thread(void *arg) {
  struct vsock_listener l = *(struct vsock_listener *)arg;
  free(arg);
  for (;;) {
    int conn = accept4(l.fd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      usleep(100000);
      continue;
    }
    struct relay *r = malloc(sizeof *r);
    r->conn = conn;
    r->socket_path = l.socket_path;
    pthread_t t;
    if (pthread_create(&t, NULL, relay_thread, r) == 0) {
      pthread_detach(t);
    } else {
      close(conn);
      free(r);
    }
  }
  return NULL;
}

int cove_bridge_vsock(unsigned int port, const char *socket_path) {
  int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  struct sockaddr_vm addr = {.svm_family = AF_VSOCK, .svm_port = port, .svm_cid = VMADDR_CID_ANY};
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 16) < 0) {
    int err = errno;
    close(fd);
    return err;
  }
  struct vsock_listener *l = malloc(sizeof *l);
  l->fd = fd;
  l->socket_path = strdup(socket_path);
  pthread_t t;
  int rc = pthread_create(&t, NULL, vsock_accept_thread, l);
  if (rc != 0) {
    close(fd);
    free(l->socket_path);
    free(l);
    return rc;
  }
  pthread_detach(t);
  return 0;
}
