/* Enters the kernel through the 32-bit ABI ("int80") or the x32 ABI ("x32"): either must be fatal. */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  long rc;
  if (strcmp(argv[1], "int80") == 0) {
    /* 20 is getpid on i386. */
    __asm__ volatile("int $0x80" : "=a"(rc) : "a"(20L) : "memory");
  } else {
    rc = syscall(0x40000000L | SYS_getpid);
  }
  printf("survived: %ld\n", rc);
  return 0;
}
