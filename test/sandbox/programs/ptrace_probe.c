/* Tries every way to inspect another process: ptrace in both directions and process_vm_readv. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *res(long rc) { return rc >= 0 ? "ok" : strerrorname_np(errno); }

int main(void) {
  pid_t child = fork();
  if (child == 0) {
    for (;;) pause();
  }
  printf("traceme: %s\n", res(ptrace(PTRACE_TRACEME, 0, NULL, NULL)));
  printf("attach child: %s\n", res(ptrace(PTRACE_ATTACH, child, NULL, NULL)));
  printf("seize child: %s\n", res(ptrace(PTRACE_SEIZE, child, NULL, NULL)));
  printf("attach pid 1: %s\n", res(ptrace(PTRACE_ATTACH, 1, NULL, NULL)));
  static char target[16], local[16];
  struct iovec l = {local, sizeof local}, r = {target, sizeof target};
  printf("process_vm_readv child: %s\n", res(process_vm_readv(child, &l, 1, &r, 1, 0)));
  printf("process_vm_writev child: %s\n", res(process_vm_writev(child, &l, 1, &r, 1, 0)));
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  return 0;
}
