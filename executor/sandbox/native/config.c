/* The helper's command line, shared by remcode-sandboxd and the warm interpreter library. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "sandboxd.h"

struct config cfg = {.slot = -1, .cgroup_name = "remcode"};

void config_parse(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) die("option %s needs a value", a);
    if (strcmp(a, "--slot") == 0) cfg.slot = atoi(v);
    else if (strcmp(a, "--uid") == 0) cfg.uid = (uid_t)strtoul(v, NULL, 10);
    else if (strcmp(a, "--gid") == 0) cfg.gid = (gid_t)strtoul(v, NULL, 10);
    else if (strcmp(a, "--instance") == 0) cfg.instance = v;
    else if (strcmp(a, "--cgroup") == 0) cfg.cgroup_name = v;
    else if (strcmp(a, "--etc") == 0) {
      if (cfg.etc_count == MAX_ETC_ENTRIES) die("too many --etc entries");
      if (strchr(v, '/') || strcmp(v, ".") == 0 || strcmp(v, "..") == 0) die("--etc takes a name directly under /etc: %s", v);
      cfg.etc[cfg.etc_count++] = v;
    } else die("unknown option %s", a);
    i++;
  }
  if (cfg.slot < 0 || !cfg.instance || cfg.uid == 0 || cfg.gid == 0)
    die("usage: remcode-sandboxd --slot N --uid U --gid G --instance ID [--cgroup NAME] [--etc NAME]...");
  for (const char *c = cfg.instance; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9'))) die("--instance must be lowercase letters and digits");
  for (const char *c = cfg.cgroup_name; *c; c++)
    if (*c == '/' || *c == '.') die("--cgroup must be a plain name");
}

void config_load_host(void) {
  char buf[32];
  cfg.cap_last_cap = read_file("/proc/sys/kernel/cap_last_cap", buf, sizeof buf) > 0 ? atoi(buf) : 40;
}
