/* Forks forever and ignores every failure, so only the time limit can end it. */
#include <unistd.h>

int main(void) {
  for (;;) fork();
}
