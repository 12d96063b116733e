#ifndef CCOVE_SYSTEM_H
#define CCOVE_SYSTEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/// What a child process starts with. Every descriptor is inherited as the
/// child's 0, 1 and 2; the rest of the agent's descriptors are closed.
struct cove_spawn_options {
  const char *path;
  char *const *argv;
  char *const *envp;
  const char *cwd;          /* NULL keeps the agent's directory */
  int stdin_fd;
  int stdout_fd;
  int stderr_fd;
  int controlling_tty;      /* 1 when stdin is a terminal to take over */
  int change_user;          /* 1 to switch to uid/gid/groups below */
  uid_t uid;
  gid_t gid;
  const gid_t *groups;
  size_t group_count;
};

/// What the child was doing when it failed.
enum {
  COVE_SPAWN_STEP_EXEC = 0,   /* execve: the program */
  COVE_SPAWN_STEP_CWD = 1,    /* chdir: the working directory */
  COVE_SPAWN_STEP_SETUP = 2,  /* session, terminal, descriptors or user */
};

/// Forks and executes. Returns 0 and the pid on success. When the program
/// cannot be executed the child exits with 127 and the errno is returned in
/// *exec_errno, and the step that failed in *failed_step (the pid is still
/// returned and must be reaped). Returns an errno when no child could be
/// made at all.
int cove_spawn(const struct cove_spawn_options *options, pid_t *pid, int *exec_errno, int *failed_step);

/// Opens a new pseudo-terminal. Returns 0 or an errno.
int cove_open_pty(int *master, char *slave_name, size_t slave_name_size);
int cove_set_window_size(int fd, unsigned short rows, unsigned short cols);
/// Mixes bytes into the kernel entropy pool, crediting them. Returns 0 or an errno.
int cove_add_entropy(const void *bytes, size_t count);
int cove_mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data);
int cove_move_mount(const char *source, const char *target);
int cove_load_module(const char *path);
int cove_become_subreaper(void);
/// Makes malloc give freed memory back to the system: fixed thresholds (the
/// heap is trimmed past 128 KiB free, blocks of 128 KiB and more are mapped
/// on their own) and two arenas at most. Call before any thread starts.
void cove_limit_retained_memory(void);
/// Returns the free memory inside malloc's heaps to the system
/// (malloc_trim), after a burst of large buffers such as a file transfer.
void cove_release_free_memory(void);
/// Catches SIGTERM, SIGINT and SIGHUP for `cove_wait_termination_signal`, and ignores SIGPIPE.
void cove_catch_termination_signals(void);
/// Waits for one of the termination signals and returns it.
int cove_wait_termination_signal(void);
/// Watches a directory with inotify; returns 0 and a non-blocking descriptor, or an errno.
int cove_watch_directory(const char *path, int *fd);
/// Bytes waiting to be read on a pipe or terminal (FIONREAD); 0 on error.
int cove_pending_bytes(int fd);
/// pipe2 with O_CLOEXEC (and O_NONBLOCK on request). Returns 0 or an errno.
int cove_pipe(int fds[2], int nonblock);
int cove_power_off(int reboot);
int cove_set_clock(int64_t unix_ns);
int cove_set_hostname(const char *name, size_t length);

/// Brings interface `name` up; with `address`, gives it address/prefix; with
/// `gateway`, adds a default route through it. 0 or an errno.
int cove_configure_interface(const char *name, const char *address, int prefix, const char *gateway);

#endif
