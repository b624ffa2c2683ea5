/* Prints the enforced rlimits and tries to raise each hard limit. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static void show(const char *name, int resource) {
  struct rlimit rl;
  getrlimit(resource, &rl);
  printf("%s %llu %llu\n", name, (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
  struct rlimit more = {RLIM_INFINITY, RLIM_INFINITY};
  printf("raise %s: %s\n", name, setrlimit(resource, &more) == 0 ? "ok" : strerrorname_np(errno));
}

int main(void) {
  show("FSIZE", RLIMIT_FSIZE);
  show("NOFILE", RLIMIT_NOFILE);
  show("STACK", RLIMIT_STACK);
  return 0;
}
