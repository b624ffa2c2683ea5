/* Maps populated anonymous memory forever (no libc allocator involved). */
#include <stdio.h>
#include <sys/mman.h>

int main(void) {
  for (;;) {
    void *p = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) {
      puts("mmap failed");
      return 2;
    }
  }
}
