#include "CCoveHost.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

int cove_pidfd_open(int pid) {
#ifdef SYS_pidfd_open
  return (int)syscall(SYS_pidfd_open, pid, 0);
#else
  errno = ENOSYS;
  return -1;
#endif
}
