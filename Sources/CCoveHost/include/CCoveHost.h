#ifndef CCOVE_HOST_H
#define CCOVE_HOST_H

// Host-side C shims: what Swift cannot call (semctl is variadic, pidfd_open
// has no libc wrapper in Debian 12's glibc).

// A counting semaphore shared by every process of this user that names the
// same key file and the same number of permits: a System V semaphore, whose
// SEM_UNDO gives a dead process's permits back. Created with `permits` on
// first use (under an flock of the key file, so no process sees it half
// made). Returns its id, or -1 with errno set.
int cove_host_semaphore(const char *key_file, int permits);

// Takes one permit, waiting up to timeout_ms. Returns 0, or -1 with errno
// EAGAIN when the time ran out (EINTR on a signal, EIDRM when removed).
int cove_host_semaphore_take(int id, int timeout_ms);

// Gives one permit back. Returns 0 or -1 with errno set.
int cove_host_semaphore_give(int id);

// The permits free now, or -1 with errno set.
int cove_host_semaphore_free(int id);

// How many tasks wait for a permit now, or -1 with errno set.
int cove_host_semaphore_waiting(int id);

// A descriptor that becomes readable when process `pid` exits (Linux 5.3
// and later), so a wait for the end of a process that is not our child
// needs no polling. Returns it (close-on-exec), or -1 with errno set:
// ESRCH when there is no such process, ENOSYS on an older kernel.
int cove_pidfd_open(int pid);

// Turns transparent huge pages off for this process and for the programs
// it starts from now on (prctl's PR_SET_THP_DISABLE, which fork inherits
// and execve keeps). Returns 0, or -1 with errno set.
int cove_disable_transparent_hugepages(void);

#endif
