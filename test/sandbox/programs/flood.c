/*
 * "both": floods stdout and stderr at once, ignoring EPIPE; "stderr": only stderr;
 * "exact N": writes exactly N bytes to stdout and exits 0.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  signal(SIGPIPE, SIG_IGN);
  static char out[4096], err[4096];
  memset(out, 'o', sizeof out);
  memset(err, 'e', sizeof err);
  if (strcmp(argv[1], "exact") == 0) {
    long left = argc > 2 ? atol(argv[2]) : 0;
    while (left > 0) {
      ssize_t n = write(1, out, left < (long)sizeof out ? (size_t)left : sizeof out);
      if (n <= 0) return 3;
      left -= n;
    }
    return 0;
  }
  int both = strcmp(argv[1], "both") == 0;
  for (;;) {
    if (both) write(1, out, sizeof out);
    write(2, err, sizeof err);
  }
}
