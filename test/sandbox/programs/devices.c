/* Creates device nodes, opens host devices, and lists which character devices /dev offers. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char *res(long rc) { return rc >= 0 ? "ok" : strerrorname_np(errno); }

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(void) {
  printf("mknod char 1:3: %s\n", res(mknod("/box/null2", S_IFCHR | 0666, makedev(1, 3))));
  printf("mknod block 253:0: %s\n", res(mknod("/box/disk", S_IFBLK | 0600, makedev(253, 0))));
  const char *host[] = {"/dev/vda", "/dev/sda", "/dev/mem", "/dev/kmem", "/dev/port", "/dev/kmsg",
                        "/dev/tty", "/dev/console", "/dev/fuse", "/dev/net/tun", "/dev/loop0", "/dev/ptmx"};
  for (size_t i = 0; i < sizeof host / sizeof host[0]; i++)
    printf("open %s: %s\n", host[i], res(open(host[i], O_RDWR)));
  int full = open("/dev/full", O_WRONLY);
  printf("write /dev/full: %s\n", res(write(full, "x", 1)));
  char buf[16];
  int ur = open("/dev/urandom", O_RDONLY);
  printf("read /dev/urandom: %s\n", read(ur, buf, sizeof buf) == (ssize_t)sizeof buf ? "ok" : "failed");
  char *names[256];
  int n = 0;
  DIR *d = opendir("/dev");
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL && n < 256) {
    struct stat st;
    char path[512];
    snprintf(path, sizeof path, "/dev/%s", e->d_name);
    if (lstat(path, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) names[n++] = strdup(e->d_name);
  }
  qsort(names, (size_t)n, sizeof names[0], by_name);
  printf("device nodes:");
  for (int i = 0; i < n; i++) printf(" %s", names[i]);
  printf("\n");
  return 0;
}
