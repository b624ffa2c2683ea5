/* Creates empty files in argv[1] until the filesystem runs out of inodes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  char name[4096];
  for (long n = 0;; n++) {
    snprintf(name, sizeof name, "%s/i%ld", argv[1], n);
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
      printf("%s after %ld files\n", strerrorname_np(errno), n);
      return 0;
    }
    close(fd);
  }
}
