/* Prints its whole environment, one entry per line. */
#include <stdio.h>

extern char **environ;

int main(void) {
  for (char **e = environ; *e != NULL; e++) puts(*e);
  return 0;
}
