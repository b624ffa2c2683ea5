/* Writes 64 KiB blocks into argv[1] until the filesystem refuses, then reports why and how much. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  static char block[64 * 1024];
  memset(block, 'd', sizeof block);
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    printf("open: %s\n", strerrorname_np(errno));
    return 1;
  }
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
