/* Stops itself: nothing inside the run will ever continue it. */
#include <signal.h>
#include <stdio.h>

int main(void) {
  puts("stopping");
  fflush(stdout);
  raise(SIGSTOP);
  puts("resumed");
  return 0;
}
