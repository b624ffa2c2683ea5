/* Allocates and touches 1 MiB blocks forever. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  for (;;) {
    char *p = malloc(1 << 20);
    if (p == NULL) {
      puts("malloc failed");
      return 2;
    }
    memset(p, 1, 1 << 20);
  }
}
