/* Reserves 64 GiB of address space without touching it: only touched pages may count as memory. */
#include <stdio.h>
#include <sys/mman.h>

int main(void) {
  char *p = mmap(NULL, 64UL << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    puts("mmap failed");
    return 2;
  }
  p[0] = 1;
  p[(64UL << 30) - 1] = 1;
  puts("mapped 64 GiB, touched 2 pages");
  return 0;
}
