/* Unbounded recursion with a real frame on every level. */
#include <stdio.h>

static int depth(int n) {
  volatile char frame[1024];
  frame[0] = (char)n;
  return depth(n + 1) + frame[0];
}

int main(void) {
  printf("%d\n", depth(0));
  return 0;
}
