/* Tries to loosen its own limits: cgroup files, OOM score, kernel knobs in /proc/sys, sysrq. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void try_write(const char *path, const char *value) {
  int fd = open(path, O_WRONLY);
  const char *r;
  if (fd < 0) {
    r = strerrorname_np(errno);
  } else {
    r = write(fd, value, strlen(value)) >= 0 ? "ok" : strerrorname_np(errno);
  }
  printf("%s: %s\n", path, r);
}

int main(void) {
  try_write("/sys/fs/cgroup/memory/memory.limit_in_bytes", "-1");
  try_write("/sys/fs/cgroup/memory.max", "max");
  try_write("/proc/self/oom_score_adj", "-1000");
  try_write("/proc/sys/kernel/pid_max", "4194304");
  try_write("/proc/sys/vm/drop_caches", "3");
  try_write("/proc/sysrq-trigger", "h");
  return 0;
}
