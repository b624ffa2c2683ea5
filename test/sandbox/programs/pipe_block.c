/* Fills a pipe nobody reads, then blocks on it forever. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  int fds[2];
  if (pipe(fds) != 0) return 2;
  puts("filling");
  fflush(stdout);
  for (;;) write(fds[1], "p", 1);
}
