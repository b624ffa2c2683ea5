/*
 * Looks at the box's /proc the way a program planning an escape would: its mount options, which
 * processes it lists, and the kernel interfaces Docker masks in a container's /proc. Prints
 * "name: result" lines: "ok" or the errno name for each path.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  char line[1024];
  FILE *mi = fopen("/proc/self/mountinfo", "r");
  while (mi != NULL && fgets(line, sizeof line, mi) != NULL) {
    /* "id parent major:minor root mountpoint options ... - fstype source superoptions" */
    char mountpoint[256], fstype[64], source[64], super[512];
    const char *dash = strstr(line, " - ");
    if (dash == NULL || sscanf(line, "%*s %*s %*s %*s %255s", mountpoint) != 1) continue;
    if (strcmp(mountpoint, "/proc") != 0) continue;
    if (sscanf(dash + 3, "%63s %63s %511s", fstype, source, super) != 3) continue;
    printf("/proc %s: subset=pid %s, hidepid=invisible %s\n", fstype, strstr(super, "subset=pid") ? "yes" : "no",
           strstr(super, "hidepid=invisible") || strstr(super, "hidepid=2") ? "yes" : "no");
  }

  /* Every process it lists must be one of the run's own (its uid); other names are not processes. */
  DIR *d = opendir("/proc");
  struct dirent *e;
  int others = 0;
  printf("entries:");
  while (d != NULL && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    if (isdigit((unsigned char)e->d_name[0])) {
      struct stat st;
      char path[300];
      snprintf(path, sizeof path, "/proc/%s", e->d_name);
      if (stat(path, &st) == 0 && st.st_uid != getuid()) others++;
      continue;
    }
    printf(" %s", e->d_name);
  }
  printf("\nprocesses of other uids: %d\n", others);

  static const char *const paths[] = {"/proc/1/status", "/proc/kcore", "/proc/keys", "/proc/timer_list",
                                      "/proc/sched_debug", "/proc/latency_stats", "/proc/interrupts",
                                      "/proc/sysrq-trigger", "/proc/sys/kernel/core_pattern", "/proc/acpi",
                                      "/proc/scsi", "/proc/bus", "/proc/irq", "/proc/fs", "/proc/kallsyms",
                                      "/proc/modules", "/proc/meminfo"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
    printf("%s: %s\n", paths[i], fd >= 0 ? "ok" : strerrorname_np(errno));
    if (fd >= 0) close(fd);
  }
  return 0;
}
