/* Eight children each hold 12 MiB, small enough for any per-process cap, 96 MiB together. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  for (int i = 0; i < 8; i++) {
    pid_t pid = fork();
    if (pid < 0) {
      puts("fork failed");
      return 2;
    }
    if (pid == 0) {
      char *p = malloc(12 << 20);
      if (p != NULL) memset(p, 1, 12 << 20);
      for (;;) pause();
    }
  }
  int status;
  if (wait(&status) > 0 && WIFSIGNALED(status)) {
    printf("child killed by %s\n", sigabbrev_np(WTERMSIG(status)));
    return 3;
  }
  puts("child exited");
  return 4;
}
