/*
 * Tries every way to a new namespace (where it would be root): unshare, clone and clone3 with namespace
 * flags, setns. Plain fork and pthread_create must keep working (glibc tries clone3 first).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *res(long rc) { return rc >= 0 ? "ok" : strerrorname_np(errno); }

static const char *raw_clone(unsigned long flags) {
  long pid = syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
  if (pid == 0) _exit(0);
  if (pid < 0) return strerrorname_np(errno);
  waitpid((pid_t)pid, NULL, 0);
  return "ok";
}

static const char *raw_clone3(uint64_t flags) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = flags;
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) _exit(0);
  if (pid < 0) return strerrorname_np(errno);
  waitpid((pid_t)pid, NULL, 0);
  return "ok";
}

static void *nothing(void *arg) { return arg; }

int main(void) {
  printf("unshare user: %s\n", res(unshare(CLONE_NEWUSER)));
  printf("unshare mount: %s\n", res(unshare(CLONE_NEWNS)));
  printf("unshare net: %s\n", res(unshare(CLONE_NEWNET)));
  printf("clone user: %s\n", raw_clone(CLONE_NEWUSER));
  printf("clone pid: %s\n", raw_clone(CLONE_NEWPID));
  printf("clone3 user: %s\n", raw_clone3(CLONE_NEWUSER));
  int fd = open("/proc/self/ns/user", O_RDONLY);
  printf("setns own user ns: %s\n", res(setns(fd, 0)));
  printf("fork: %s\n", raw_clone(0));
  pthread_t t;
  int err = pthread_create(&t, NULL, nothing, NULL);
  if (err == 0) pthread_join(t, NULL);
  printf("pthread_create: %s\n", err == 0 ? "ok" : strerrorname_np(err));
  return 0;
}
