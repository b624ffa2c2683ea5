/*
 * Fills anonymous memory files (memfd): each stays under the file size limit (8 MiB), no filesystem
 * size applies, so only the memory limit can stop them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  static char block[64 * 1024];
  memset(block, 'm', sizeof block);
  for (int files = 0;; files++) {
    int fd = memfd_create("bomb", 0);
    if (fd < 0) {
      printf("memfd_create failed after %d files: %s\n", files, strerrorname_np(errno));
      return 0;
    }
    for (int i = 0; i < 128; i++) {
      if (write(fd, block, sizeof block) < 0) {
        printf("write failed: %s\n", strerrorname_np(errno));
        return 0;
      }
    }
  }
}
