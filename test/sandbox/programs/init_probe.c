/*
 * Goes after the sandbox's own process inside the run (pid 1 of the PID namespace when it is not the
 * program itself): its memory, environment, descriptors (the helper's control channel) and signals.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *res(long rc) { return rc >= 0 ? "ok" : strerrorname_np(errno); }

int main(void) {
  printf("pid %d ppid %d\n", getpid(), getppid());
  char line[256];
  FILE *st = fopen("/proc/1/status", "r");
  while (st != NULL && fgets(line, sizeof line, st) != NULL)
    if (strncmp(line, "Uid:", 4) == 0 || strncmp(line, "Name:", 5) == 0) fputs(line, stdout);
  printf("open /proc/1/mem: %s\n", res(open("/proc/1/mem", O_RDWR)));
  int env = open("/proc/1/environ", O_RDONLY);
  char buf[4096];
  ssize_t n = env >= 0 ? read(env, buf, sizeof buf) : -1;
  printf("read /proc/1/environ: %s\n", n >= 0 ? (n == 0 ? "empty" : "has content") : strerrorname_np(errno));
  for (int fd = 0; fd < 8; fd++) {
    char path[64], target[256];
    snprintf(path, sizeof path, "/proc/1/fd/%d", fd);
    ssize_t len = readlink(path, target, sizeof target - 1);
    if (len < 0 && errno == ENOENT) continue;
    target[len < 0 ? 0 : len] = '\0';
    int opened = open(path, O_RDWR);
    printf("fd %d: readlink %s, open %s\n", fd, len < 0 ? strerrorname_np(errno) : "ok",
           opened >= 0 ? "ok" : strerrorname_np(errno));
    if (opened >= 0) {
      /* A forged message on the control channel: the helper must not believe it. */
      ssize_t w = write(opened, "\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 12);
      printf("fd %d: write %s\n", fd, w >= 0 ? "ok" : strerrorname_np(errno));
    }
  }
  printf("kill(1, SIGTERM): %s\n", res(kill(1, SIGTERM)));
  printf("kill(1, SIGSTOP): %s\n", res(kill(1, SIGSTOP)));
  fflush(stdout);
  return 0;
}
