/*
 * Classic daemon: fork, setsid, fork again, detach from stdio, ignore the polite signals, then bump a
 * heartbeat file in /box forever. The parent exits only once the daemon has written its first beat.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void beat(long n) {
  int fd = open("/box/heartbeat", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  char buf[32];
  int len = snprintf(buf, sizeof buf, "%ld\n", n);
  write(fd, buf, (size_t)len);
  close(fd);
}

int main(void) {
  int ready[2];
  if (pipe(ready) != 0) return 2;
  pid_t child = fork();
  if (child < 0) return 2;
  if (child == 0) {
    setsid();
    if (fork() != 0) _exit(0);
    signal(SIGHUP, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
    beat(0);
    write(ready[1], "r", 1);
    close(ready[1]);
    close(ready[0]);
    for (long n = 1;; n++) {
      struct timespec ts = {0, 20 * 1000 * 1000};
      nanosleep(&ts, NULL);
      beat(n);
    }
  }
  close(ready[1]);
  waitpid(child, NULL, 0);
  char c;
  if (read(ready[0], &c, 1) != 1) return 3;
  puts("parent done");
  return 0;
}
