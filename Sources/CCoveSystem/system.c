#define _GNU_SOURCE
#include "CCoveSystem.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Runs in the vforked child: system calls only, and it never returns. */
__attribute__((noreturn)) static void child(const struct cove_spawn_options *o, int report) {
  sigset_t none;
  sigemptyset(&none);
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, _NSIG / 8);
  for (int s = 1; s < _NSIG; s++) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(s, &dfl, NULL);
  }
  int err = 0;
  int step = COVE_SPAWN_STEP_SETUP;
  if (setsid() < 0) goto fail;
  if (o->controlling_tty && ioctl(o->stdin_fd, TIOCSCTTY, 0) < 0) goto fail;
  int fds[3] = {o->stdin_fd, o->stdout_fd, o->stderr_fd};
  for (int i = 0; i < 3; i++) {
    /* dup2 onto itself would keep CLOEXEC set: move such descriptors first. */
    if (fds[i] == i) {
      int flags = fcntl(i, F_GETFD);
      if (flags < 0 || fcntl(i, F_SETFD, flags & ~FD_CLOEXEC) < 0) goto fail;
    } else if (dup2(fds[i], i) < 0) {
      goto fail;
    }
  }
  syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (fcntl(report, F_SETFD, FD_CLOEXEC) < 0) goto fail;
  if (o->change_user) {
    if (syscall(SYS_setgroups, o->group_count, o->groups) < 0) goto fail;
    if (syscall(SYS_setresgid, o->gid, o->gid, o->gid) < 0) goto fail;
    if (syscall(SYS_setresuid, o->uid, o->uid, o->uid) < 0) goto fail;
  }
  step = COVE_SPAWN_STEP_CWD;
  if (o->cwd && chdir(o->cwd) < 0) goto fail;
  step = COVE_SPAWN_STEP_EXEC;
  execve(o->path, o->argv, o->envp);
fail:
  err = errno;
  int failure[2] = {err, step};
  (void)!write(report, failure, sizeof failure);
  _exit(127);
}

int cove_spawn(const struct cove_spawn_options *o, pid_t *pid, int *exec_errno, int *failed_step) {
  int report[2];
  *exec_errno = 0;
  *failed_step = COVE_SPAWN_STEP_EXEC;
  if (pipe2(report, O_CLOEXEC) < 0) return errno;
  /* vfork: the child borrows the agent's memory until execve or _exit, so
     no page tables are copied. It only makes system calls (the user switch
     uses raw ones, which do not touch glibc's thread list) and never
     returns from child(). */
  pid_t p = vfork();
  if (p < 0) {
    int err = errno;
    close(report[0]);
    close(report[1]);
    return err;
  }
  if (p == 0) {
    close(report[0]);
    child(o, report[1]);
  }
  close(report[1]);
  int failure[2] = {0, COVE_SPAWN_STEP_EXEC};
  ssize_t n;
  do {
    n = read(report[0], failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n == (ssize_t)sizeof failure) {
    *exec_errno = failure[0];
    *failed_step = failure[1];
  }
  *pid = p;
  return 0;
}

int cove_open_pty(int *master, char *slave_name, size_t slave_name_size) {
  int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return errno;
  if (grantpt(fd) < 0 || unlockpt(fd) < 0 || ptsname_r(fd, slave_name, slave_name_size) != 0) {
    int err = errno;
    close(fd);
    return err;
  }
  *master = fd;
  return 0;
}

int cove_pending_bytes(int fd) {
  int count = 0;
  return ioctl(fd, FIONREAD, &count) < 0 ? 0 : count;
}

int cove_set_window_size(int fd, unsigned short rows, unsigned short cols) {
  struct winsize size = {.ws_row = rows, .ws_col = cols};
  return ioctl(fd, TIOCSWINSZ, &size) < 0 ? errno : 0;
}

int cove_add_entropy(const void *bytes, size_t count) {
  if (count > 4096) return EINVAL;
  struct {
    int entropy_count;
    int buf_size;
    unsigned char buf[4096];
  } info;
  info.entropy_count = (int)(count * 8);
  info.buf_size = (int)count;
  memcpy(info.buf, bytes, count);
  int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  int rc = ioctl(fd, RNDADDENTROPY, &info);
  int err = rc < 0 ? errno : 0;
  // Once the pool is ready, new entropy reaches the output only at the next
  // reseed, up to a minute later; force it now, so that VMs restored from
  // one snapshot part ways at once (kernels before 4.17 lack the ioctl).
  if (err == 0 && ioctl(fd, RNDRESEEDCRNG) < 0 && errno != ENOTTY && errno != EINVAL) err = errno;
  close(fd);
  explicit_bzero(&info, sizeof info);
  return err;
}

int cove_mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data) {
  return mount(source, target, type, flags, data) < 0 ? errno : 0;
}

int cove_move_mount(const char *source, const char *target) {
  return mount(source, target, NULL, MS_MOVE, NULL) < 0 ? errno : 0;
}

int cove_load_module(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  long rc = syscall(SYS_finit_module, fd, "", 0);
  int err = rc < 0 ? errno : 0;
  close(fd);
  return err == EEXIST ? 0 : err;
}

void cove_limit_retained_memory(void) {
  /* A fixed trim threshold also fixes the mmap threshold at its 128 KiB
     default: glibc's dynamic ones rise with every large block freed, until
     big buffers come from the heap and stay there. */
  mallopt(M_TRIM_THRESHOLD, 128 * 1024);
  mallopt(M_ARENA_MAX, 2);
}

void cove_release_free_memory(void) { malloc_trim(0); }

int cove_become_subreaper(void) {
  return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ? errno : 0;
}

int cove_power_off(int reboot_instead) {
  sync();
  return reboot(reboot_instead ? RB_AUTOBOOT : RB_POWER_OFF) < 0 ? errno : 0;
}

int cove_set_clock(int64_t unix_ns) {
  struct timespec ts = {.tv_sec = unix_ns / 1000000000, .tv_nsec = unix_ns % 1000000000};
  return clock_settime(CLOCK_REALTIME, &ts) < 0 ? errno : 0;
}

int cove_set_hostname(const char *name, size_t length) {
  return sethostname(name, length) < 0 ? errno : 0;
}

int cove_pipe(int fds[2], int nonblock) {
  return pipe2(fds, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0)) < 0 ? errno : 0;
}

#include <sys/inotify.h>

int cove_watch_directory(const char *path, int *out) {
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return errno;
  uint32_t mask = IN_CREATE | IN_CLOSE_WRITE | IN_MODIFY | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                  IN_ATTRIB | IN_DELETE_SELF | IN_ONLYDIR;
  if (inotify_add_watch(fd, path, mask) < 0) {
    int err = errno;
    close(fd);
    return err;
  }
  *out = fd;
  return 0;
}

/* Termination signals go to a pipe that one thread reads: a handler is
   process-wide, where a blocked mask would have to be set in every thread. */
static int termination_pipe[2] = {-1, -1};

static void on_termination_signal(int sig) {
  int saved = errno;
  unsigned char byte = (unsigned char)sig;
  (void)!write(termination_pipe[1], &byte, 1);
  errno = saved;
}

void cove_catch_termination_signals(void) {
  signal(SIGPIPE, SIG_IGN);
  if (pipe2(termination_pipe, O_CLOEXEC) < 0) return;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_termination_signal;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);
  sigaction(SIGHUP, &action, NULL);
}

int cove_wait_termination_signal(void) {
  unsigned char byte = 0;
  for (;;) {
    ssize_t n = read(termination_pipe[0], &byte, 1);
    if (n == 1) return byte;
    if (n < 0 && errno == EINTR) continue;
    pause();
  }
}

#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/socket.h>

static int cove_set_ipv4(int s, unsigned long request, struct ifreq *ifr, in_addr_t address) {
  struct sockaddr_in *sin = (struct sockaddr_in *)&ifr->ifr_addr;
  memset(sin, 0, sizeof *sin);
  sin->sin_family = AF_INET;
  sin->sin_addr.s_addr = address;
  return ioctl(s, request, ifr);
}

int cove_configure_interface(const char *name, const char *address, int prefix, const char *gateway) {
  struct in_addr addr, gw;
  if (address && inet_pton(AF_INET, address, &addr) != 1) return EINVAL;
  if (gateway && inet_pton(AF_INET, gateway, &gw) != 1) return EINVAL;
  if (prefix < 0 || prefix > 32 || strlen(name) >= IFNAMSIZ) return EINVAL;
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  int err = 0;
  if (address) {
    if (cove_set_ipv4(s, SIOCSIFADDR, &ifr, addr.s_addr) < 0) goto fail;
    in_addr_t mask = prefix == 0 ? 0 : htonl(0xffffffffu << (32 - prefix));
    if (cove_set_ipv4(s, SIOCSIFNETMASK, &ifr, mask) < 0) goto fail;
  }
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) goto fail;
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) goto fail;
  if (gateway) {
    struct rtentry route;
    memset(&route, 0, sizeof route);
    ((struct sockaddr_in *)&route.rt_dst)->sin_family = AF_INET;
    ((struct sockaddr_in *)&route.rt_genmask)->sin_family = AF_INET;
    struct sockaddr_in *via = (struct sockaddr_in *)&route.rt_gateway;
    via->sin_family = AF_INET;
    via->sin_addr = gw;
    route.rt_flags = RTF_UP | RTF_GATEWAY;
    route.rt_dev = (char *)name;
    if (ioctl(s, SIOCADDRT, &route) < 0 && errno != EEXIST) goto fail;
  }
  close(s);
  return 0;
fail:
  err = errno;
  close(s);
  return err;
}
