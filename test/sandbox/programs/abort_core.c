/* Holds 16 MiB and aborts: with core dumps allowed this would write a 16 MiB core into /box. */
#include <stdlib.h>
#include <string.h>

int main(void) {
  char *p = malloc(16 << 20);
  if (p != NULL) memset(p, 1, 16 << 20);
  abort();
}
