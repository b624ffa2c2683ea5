/*
 * Runs after every hostile test: a fresh run must see an empty /tmp and /dev/shm, only its own files in
 * /box, no other process and no SysV IPC object. Prints "canary ok" or what it found.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int problems = 0;

static void expect_only(const char *dir, const char *allowed) {
  DIR *d = opendir(dir);
  if (d == NULL) {
    printf("cannot open %s\n", dir);
    problems++;
    return;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (allowed != NULL && strcmp(e->d_name, allowed) == 0) continue;
    printf("unexpected %s/%s\n", dir, e->d_name);
    problems++;
  }
  closedir(d);
}

static int is_ancestor_or_self(pid_t pid) {
  for (pid_t p = getpid(); p > 0;) {
    if (p == pid) return 1;
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", p);
    FILE *f = fopen(path, "r");
    if (f == NULL) return 0;
    pid_t parent = 0;
    while (fgets(line, sizeof line, f) != NULL)
      if (strncmp(line, "PPid:", 5) == 0) parent = (pid_t)atoi(line + 5);
    fclose(f);
    p = parent;
  }
  return 0;
}

static void expect_no_ipc(const char *file) {
  FILE *f = fopen(file, "r");
  if (f == NULL) return;
  char line[512];
  int lines = 0;
  while (fgets(line, sizeof line, f) != NULL) lines++;
  fclose(f);
  if (lines > 1) {
    printf("%s has %d objects\n", file, lines - 1);
    problems++;
  }
}

int main(void) {
  expect_only("/tmp", NULL);
  expect_only("/dev/shm", NULL);
  expect_only("/box", "canary");
  DIR *d = opendir("/proc");
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL) {
    pid_t pid = (pid_t)atoi(e->d_name);
    if (pid > 0 && !is_ancestor_or_self(pid)) {
      printf("unexpected process %d\n", pid);
      problems++;
    }
  }
  expect_no_ipc("/proc/sysvipc/shm");
  expect_no_ipc("/proc/sysvipc/sem");
  expect_no_ipc("/proc/sysvipc/msg");
  if (problems == 0) puts("canary ok");
  return problems == 0 ? 0 : 1;
}
