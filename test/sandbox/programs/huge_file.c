/*
 * Grows a file past RLIMIT_FSIZE. "signal": default SIGXFSZ disposition; "efbig": SIGXFSZ ignored, so the
 * write fails instead; "sparse": ignored, and tries ftruncate and a write at 1 TiB.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int fd = open("/box/huge", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 3;
  if (strcmp(argv[1], "sparse") == 0) {
    signal(SIGXFSZ, SIG_IGN);
    printf("ftruncate 1 TiB: %s\n", ftruncate(fd, 1L << 40) == 0 ? "ok" : strerrorname_np(errno));
    printf("pwrite at 1 TiB: %s\n", pwrite(fd, "x", 1, 1L << 40) == 1 ? "ok" : strerrorname_np(errno));
    return 0;
  }
  if (strcmp(argv[1], "efbig") == 0) signal(SIGXFSZ, SIG_IGN);
  static char block[4096];
  memset(block, 'h', sizeof block);
  long long total = 0;
  for (;;) {
    ssize_t n = write(fd, block, sizeof block);
    if (n < 0) {
      printf("%s after %lld bytes\n", strerrorname_np(errno), total);
      return 0;
    }
    total += n;
  }
}
