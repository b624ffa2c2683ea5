/* Tries to change the mount table and the root directory the way an escape would. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *res(long rc) { return rc >= 0 ? "ok" : strerrorname_np(errno); }

int main(void) {
  printf("mount tmpfs: %s\n", res(mount("none", "/box", "tmpfs", 0, NULL)));
  printf("remount / rw: %s\n", res(mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL)));
  printf("bind /usr: %s\n", res(mount("/usr", "/box", NULL, MS_BIND, NULL)));
  printf("umount /proc: %s\n", res(umount2("/proc", MNT_DETACH)));
  printf("pivot_root: %s\n", res(syscall(SYS_pivot_root, "/box", "/box")));
  printf("fsopen: %s\n", res(syscall(SYS_fsopen, "tmpfs", 0)));
  printf("open_tree clone: %s\n", res(syscall(SYS_open_tree, AT_FDCWD, "/usr", OPEN_TREE_CLONE)));
  printf("chroot: %s\n", res(chroot("/box")));
  return 0;
}
