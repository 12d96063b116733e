#define _GNU_SOURCE
#include "CCoveHost.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>
#include <unistd.h>

union cove_semun {
  int val;
  struct semid_ds *buf;
  unsigned short *array;
};

int cove_host_semaphore(const char *key_file, int permits) {
  if (permits < 1 || permits > 255) {
    errno = EINVAL;
    return -1;
  }
  int fd = open(key_file, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  if (flock(fd, LOCK_EX) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  // The key names the file and the permit count, so processes configured
  // with another count share a pool of their own rather than resizing this one.
  key_t key = ftok(key_file, permits);
  int id = -1;
  if (key != -1) {
    id = semget(key, 1, IPC_CREAT | IPC_EXCL | 0600);
    if (id >= 0) {
      union cove_semun value = {.val = permits};
      if (semctl(id, 0, SETVAL, value) != 0) {
        int saved = errno;
        semctl(id, 0, IPC_RMID);
        errno = saved;
        id = -1;
      }
    } else if (errno == EEXIST) {
      id = semget(key, 1, 0600);
    }
  }
  int saved = errno;
  flock(fd, LOCK_UN);
  close(fd);
  errno = saved;
  return id;
}

int cove_host_semaphore_take(int id, int timeout_ms) {
  struct sembuf op = {.sem_num = 0, .sem_op = -1, .sem_flg = SEM_UNDO};
  struct timespec timeout = {.tv_sec = timeout_ms / 1000, .tv_nsec = (long)(timeout_ms % 1000) * 1000000L};
  return semtimedop(id, &op, 1, &timeout);
}

int cove_host_semaphore_give(int id) {
  struct sembuf op = {.sem_num = 0, .sem_op = 1, .sem_flg = SEM_UNDO};
  return semop(id, &op, 1);
}

int cove_host_semaphore_free(int id) { return semctl(id, 0, GETVAL); }

int cove_host_semaphore_waiting(int id) { return semctl(id, 0, GETNCNT); }
