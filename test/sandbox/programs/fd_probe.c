/* Lists every open descriptor from 0 to 1024 with what it points at. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  for (int fd = 0; fd <= 1024; fd++) {
    if (fcntl(fd, F_GETFD) < 0) continue;
    char link[64], target[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    target[n < 0 ? 0 : n] = '\0';
    printf("%d %s\n", fd, target);
  }
  return 0;
}
