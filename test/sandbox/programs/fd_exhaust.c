/* Opens files ("files") or pipes ("pipes") until RLIMIT_NOFILE refuses. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int pipes = strcmp(argv[1], "pipes") == 0;
  for (int n = 0; n < 1000000; n++) {
    int fds[2];
    int ok = pipes ? pipe(fds) == 0 : open("/dev/null", O_RDONLY) >= 0;
    if (!ok) {
      printf("%d %s then %s\n", n, pipes ? "pipes" : "files", strerrorname_np(errno));
      return 0;
    }
  }
  puts("no fd limit");
  return 1;
}
