/* Signals the test runner by its host pid, then everything it may signal (kill -1). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *res(int rc) { return rc == 0 ? "ok" : strerrorname_np(errno); }

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  pid_t runner = (pid_t)atoi(argv[1]);
  printf("kill(runner, 0): %s\n", res(kill(runner, 0)));
  printf("kill(runner, SIGKILL): %s\n", res(kill(runner, SIGKILL)));
  printf("kill(-runner, SIGKILL): %s\n", res(kill(-runner, SIGKILL)));
  printf("kill(-1, SIGKILL): %s\n", res(kill(-1, SIGKILL)));
  return 0;
}
