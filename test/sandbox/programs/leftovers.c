/*
 * "plant": leaves everything a run could leave behind (a /tmp file, a /dev/shm file, a POSIX shared
 * memory object, SysV shared memory, a semaphore set and a message queue, a detached process).
 * "probe": reports whether any of it is visible.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#define KEY 0x52454d43

static const char *result(int rc) { return rc >= 0 ? "present" : strerrorname_np(errno); }

static int other_processes(void) {
  DIR *d = opendir("/proc");
  if (d == NULL) return -1;
  int count = 0;
  pid_t self = getpid(), parent = getppid();
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    pid_t pid = (pid_t)atoi(e->d_name);
    if (pid > 0 && pid != self && pid != parent) count++;
  }
  closedir(d);
  return count;
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  if (strcmp(argv[1], "plant") == 0) {
    int fd = open("/tmp/leftover", O_WRONLY | O_CREAT, 0644);
    write(fd, "left\n", 5);
    fd = open("/dev/shm/leftover", O_WRONLY | O_CREAT, 0644);
    write(fd, "left\n", 5);
    fd = shm_open("/remcode-leftover", O_RDWR | O_CREAT, 0644);
    ftruncate(fd, 4096);
    int shm = shmget(KEY, 4096, IPC_CREAT | 0666);
    char *p = shmat(shm, NULL, 0);
    if (p != (void *)-1) strcpy(p, "left");
    int sem = semget(KEY, 1, IPC_CREAT | 0666);
    int msg = msgget(KEY, IPC_CREAT | 0666);
    struct { long type; char text[8]; } m = {1, "left"};
    msgsnd(msg, &m, sizeof m.text, IPC_NOWAIT);
    printf("planted shm=%s sem=%s msg=%s\n", shm >= 0 ? "ok" : "failed", sem >= 0 ? "ok" : "failed",
           msg >= 0 ? "ok" : "failed");
    fflush(stdout);
    if (fork() == 0) {
      setsid();
      if (fork() == 0) {
        for (;;) pause();
      }
      _exit(0);
    }
    return 0;
  }
  printf("/tmp/leftover: %s\n", result(access("/tmp/leftover", F_OK)));
  printf("/dev/shm/leftover: %s\n", result(access("/dev/shm/leftover", F_OK)));
  printf("posix shm: %s\n", result(shm_open("/remcode-leftover", O_RDONLY, 0)));
  printf("sysv shm: %s\n", result(shmget(KEY, 0, 0)));
  printf("sysv sem: %s\n", result(semget(KEY, 0, 0)));
  printf("sysv msg: %s\n", result(msgget(KEY, 0)));
  printf("other processes: %d\n", other_processes());
  return 0;
}
