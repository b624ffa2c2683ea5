/* Forks sleeping children until the pids cgroup refuses, then reports how far it got. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  for (int n = 0; n < 100000; n++) {
    pid_t pid = fork();
    if (pid < 0) {
      printf("fork failed after %d children: %s\n", n, strerrorname_np(errno));
      return 0;
    }
    if (pid == 0) {
      pause();
      _exit(0);
    }
  }
  puts("no process limit");
  return 1;
}
