/*
 * Per-run cgroups, on cgroup v1 (memory, pids and cpuacct hierarchies) or v2 (one unified directory).
 * Each run gets a fresh cgroup, so peak memory and CPU usage need no reset and a run cannot inherit
 * anything from the previous one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sandboxd.h"

static int version;
/* v1: where each hierarchy is mounted, and the path of that mount's root within the hierarchy */
static char v1_memory[256], v1_pids[256], v1_cpuacct[256];
static char v1_memory_root[512], v1_pids_root[512], v1_cpuacct_root[512];
static int v1_memory_ro, v1_pids_ro, v1_cpuacct_ro;
/* v1: our own cgroup's directory in each hierarchy, the parent of our `remcode/` cgroup */
static char v1_memory_own[600], v1_pids_own[600], v1_cpuacct_own[600];
static char v2_base[512]; /* the directory that holds our runs */

int cgroup_version(void) { return version; }

static int has_token(const char *list, const char *token) {
  size_t n = strlen(token);
  for (const char *p = list; (p = strstr(p, token)) != NULL; p += n) {
    int start_ok = p == list || p[-1] == ',';
    int end_ok = p[n] == '\0' || p[n] == ',' || p[n] == '\n';
    if (start_ok && end_ok) return 1;
  }
  return 0;
}

/* mountinfo: "id parent maj:min root mountpoint opts [optional...] - fstype source superopts" */
static void scan_mounts(char *v2_mount, size_t v2len) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f) return;
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    char *fields[16] = {0};
    int nf = 0;
    for (char *save = NULL, *tok = strtok_r(line, " \n", &save); tok && nf < 16; tok = strtok_r(NULL, " \n", &save))
      fields[nf++] = tok;
    int dash = -1;
    for (int i = 6; i < nf; i++)
      if (strcmp(fields[i], "-") == 0) {
        dash = i;
        break;
      }
    if (dash < 0 || dash + 3 >= nf) continue;
    const char *mountpoint = fields[4], *fstype = fields[dash + 1], *super = fields[dash + 3];
    if (strcmp(fstype, "cgroup") == 0) {
      const char *root = fields[3];
      int ro = has_token(fields[5], "ro");
      if (has_token(super, "memory")) {
        snprintf(v1_memory, sizeof v1_memory, "%s", mountpoint);
        snprintf(v1_memory_root, sizeof v1_memory_root, "%s", root);
        v1_memory_ro = ro;
      }
      if (has_token(super, "pids")) {
        snprintf(v1_pids, sizeof v1_pids, "%s", mountpoint);
        snprintf(v1_pids_root, sizeof v1_pids_root, "%s", root);
        v1_pids_ro = ro;
      }
      if (has_token(super, "cpuacct")) {
        snprintf(v1_cpuacct, sizeof v1_cpuacct, "%s", mountpoint);
        snprintf(v1_cpuacct_root, sizeof v1_cpuacct_root, "%s", root);
        v1_cpuacct_ro = ro;
      }
    } else if (strcmp(fstype, "cgroup2") == 0 && v2_mount[0] == '\0') {
      snprintf(v2_mount, v2len, "%s", mountpoint);
    }
  }
  fclose(f);
}

static int mkdir_ok(const char *path) { return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -errno; }

/* v2 forbids processes in a cgroup whose children have controllers enabled; in a container the
 * executor usually sits in the namespace root, so it moves itself and its siblings to a leaf first. */
static int v2_enable(const char *dir, char *err, size_t errlen) {
  char path[600];
  snprintf(path, sizeof path, "%s/cgroup.subtree_control", dir);
  int rc = write_file(path, "+memory +pids");
  if (rc == -EBUSY) {
    char leaf[600], procs[600], buf[65536];
    snprintf(leaf, sizeof leaf, "%s/%s-supervisor", dir, cfg.cgroup_name);
    if ((rc = mkdir_ok(leaf)) < 0) goto fail;
    snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
    int n = read_file(procs, buf, sizeof buf);
    if (n < 0) {
      rc = n;
      goto fail;
    }
    snprintf(path, sizeof path, "%s/cgroup.procs", leaf);
    for (char *save = NULL, *pid = strtok_r(buf, "\n", &save); pid; pid = strtok_r(NULL, "\n", &save))
      write_file(path, pid); /* a process may have exited meanwhile */
    snprintf(path, sizeof path, "%s/cgroup.subtree_control", dir);
    rc = write_file(path, "+memory +pids");
  }
  if (rc == 0) {
    snprintf(path, sizeof path, "%s/cgroup.subtree_control", dir);
    write_file(path, "+cpu"); /* optional: cpu.stat usage works without it */
    return 0;
  }
fail:
  snprintf(err, errlen, "cannot enable the memory and pids controllers in %s: %s", dir, strerror(-rc));
  return -1;
}

/* Our own cgroup in the v1 hierarchy that has `controller`, from /proc/self/cgroup ("N:a,b:/path"). */
static int v1_own_path(const char *controller, char *out, size_t outlen) {
  char self[4096];
  if (read_file("/proc/self/cgroup", self, sizeof self) <= 0) return -1;
  for (char *save = NULL, *l = strtok_r(self, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    char *list = strchr(l, ':');
    char *path = list ? strchr(list + 1, ':') : NULL;
    if (!path) continue;
    *path = '\0';
    if (has_token(list + 1, controller)) {
      snprintf(out, outlen, "%s", path + 1);
      return 0;
    }
  }
  return -1;
}

/*
 * The directory of our own cgroup in one v1 hierarchy, where the runs' cgroups go, so that the limits
 * of the executor's container (its service's memory and CPU) bound every run as well. A container
 * engine mounts each hierarchy with our own cgroup as the mount's root (read-only): nothing above it,
 * the hierarchy's release_agent included, is in this mount namespace. That one mount is made writable
 * here, which needs CAP_SYS_ADMIN, already required for the boxes. On a host, or with the whole tree
 * bound in, the mount root is the hierarchy's root and our cgroup lies below the mount point.
 */
static int v1_own_dir(const char *controller, const char *mountpoint, const char *root, int ro, char *out,
                      size_t outlen, char *err, size_t errlen) {
  char own[512];
  if (v1_own_path(controller, own, sizeof own) < 0) {
    snprintf(err, errlen, "cannot find our own %s cgroup in /proc/self/cgroup", controller);
    return -1;
  }
  size_t rootlen = strcmp(root, "/") == 0 ? 0 : strlen(root);
  const char *below;
  if (strncmp(own, root, rootlen) == 0 && (own[rootlen] == '/' || own[rootlen] == '\0'))
    below = own + rootlen; /* "" or "/a/b": where our cgroup lies under the mount */
  else
    below = ""; /* a cgroup namespace shows us at the mount's root */
  /* Inside a cgroup namespace of our own both read "/": our cgroup is the mount's root then too. */
  if (strcmp(below, "/") == 0) below = "";
  snprintf(out, outlen, "%s%s", mountpoint, below);
  if (ro && strcmp(below, "") == 0 &&
      mount(NULL, mountpoint, NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME,
            NULL) < 0) {
    snprintf(err, errlen, "cannot make the %s cgroup mount %s writable: %s (the sandbox needs CAP_SYS_ADMIN)",
             controller, mountpoint, strerror(errno));
    return -1;
  }
  return 0;
}

int cgroup_detect(char *err, size_t errlen) {
  char v2_mount[256] = "";
  scan_mounts(v2_mount, sizeof v2_mount);

  if (v2_mount[0]) {
    char buf[1024], path[600], own[512] = "";
    snprintf(path, sizeof path, "%s/cgroup.controllers", v2_mount);
    if (read_file(path, buf, sizeof buf) >= 0) {
      for (char *c = buf; *c; c++) /* a space-separated list: commas let has_token match whole words */
        if (*c == ' ' || *c == '\n') *c = ',';
      if (has_token(buf, "memory") && has_token(buf, "pids")) {
        /* "0::/path" is our own cgroup, relative to the cgroup namespace root that is mounted here */
        char self[1024];
        if (read_file("/proc/self/cgroup", self, sizeof self) > 0) {
          for (char *save = NULL, *l = strtok_r(self, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
            if (strncmp(l, "0::", 3) == 0) snprintf(own, sizeof own, "%s", l + 3);
        }
        char parent[600];
        snprintf(parent, sizeof parent, "%s%s", v2_mount, strcmp(own, "/") == 0 ? "" : own);
        if (v2_enable(parent, err, errlen) < 0) return 0;
        snprintf(v2_base, sizeof v2_base, "%s/%s", parent, cfg.cgroup_name);
        int rc = mkdir_ok(v2_base);
        if (rc < 0) {
          snprintf(err, errlen, "cannot create %s: %s", v2_base, strerror(-rc));
          return 0;
        }
        if (v2_enable(v2_base, err, errlen) < 0) return 0;
        version = 2;
        return 2;
      }
    }
  }
  if (v1_memory[0] && v1_pids[0] && v1_cpuacct[0]) {
    const char *names[3] = {"memory", "pids", "cpuacct"};
    const char *mounts[3] = {v1_memory, v1_pids, v1_cpuacct};
    const char *roots[3] = {v1_memory_root, v1_pids_root, v1_cpuacct_root};
    const int ro[3] = {v1_memory_ro, v1_pids_ro, v1_cpuacct_ro};
    char *owns[3] = {v1_memory_own, v1_pids_own, v1_cpuacct_own};
    for (int i = 0; i < 3; i++) {
      if (v1_own_dir(names[i], mounts[i], roots[i], ro[i], owns[i], sizeof v1_memory_own, err, errlen) < 0)
        return 0;
      char path[700];
      snprintf(path, sizeof path, "%s/%s", owns[i], cfg.cgroup_name);
      int rc = mkdir_ok(path);
      if (rc < 0) {
        snprintf(err, errlen, "cannot create %s: %s (is the cgroup filesystem mounted read-write?)", path,
                 strerror(-rc));
        return 0;
      }
    }
    version = 1;
    return 1;
  }
  snprintf(err, errlen,
           "no usable cgroup hierarchy: need cgroup v2 with the memory and pids controllers, or cgroup v1 "
           "with memory, pids and cpuacct mounted (found v2 at '%s', v1 memory '%s', pids '%s', cpuacct '%s')",
           v2_mount, v1_memory, v1_pids, v1_cpuacct);
  return 0;
}

/*
 * The PID namespace we live in, by inode: unique on the machine among live namespaces, shared by every
 * process of one executor container. A helper's pid means something only inside its own namespace, and
 * two executors on one node (two replicas, or a start-first update) live in two namespaces and share the
 * cgroup parent on v1 (and on v2 without a private cgroup namespace).
 */
static unsigned long long own_pidns(void) {
  static unsigned long long ino;
  struct stat st;
  if (!ino && stat("/proc/self/ns/pid", &st) == 0) ino = (unsigned long long)st.st_ino;
  return ino;
}

int cgroup_create(struct run_cgroup *cg, unsigned long seq, char *err, size_t errlen) {
  char leaf[160];
  /* The PID namespace and the helper's pid in the name let a later helper tell a stale leaf of its
   * own executor from a live one, and leave every other executor's alone. */
  snprintf(leaf, sizeof leaf, "%s-n%llu-s%d-p%d-r%lu", cfg.instance, own_pidns(), cfg.slot, (int)getpid(), seq);
  if (version == 2) {
    snprintf(cg->mem, sizeof cg->mem, "%s/%s", v2_base, leaf);
    snprintf(cg->pids, sizeof cg->pids, "%s", cg->mem);
    snprintf(cg->cpu, sizeof cg->cpu, "%s", cg->mem);
  } else {
    snprintf(cg->mem, sizeof cg->mem, "%s/%s/%s", v1_memory_own, cfg.cgroup_name, leaf);
    snprintf(cg->pids, sizeof cg->pids, "%s/%s/%s", v1_pids_own, cfg.cgroup_name, leaf);
    snprintf(cg->cpu, sizeof cg->cpu, "%s/%s/%s", v1_cpuacct_own, cfg.cgroup_name, leaf);
  }
  const char *dirs[3] = {cg->mem, cg->pids, cg->cpu};
  for (int i = 0; i < (version == 2 ? 1 : 3); i++) {
    if (mkdir(dirs[i], 0755) < 0 && errno != EEXIST) {
      snprintf(err, errlen, "cannot create cgroup %s: %s", dirs[i], strerror(errno));
      return -1;
    }
  }
  return 0;
}

int cgroup_attach(const struct run_cgroup *cg, pid_t pid) {
  char path[600], text[32];
  snprintf(text, sizeof text, "%d", (int)pid);
  const char *dirs[3] = {cg->mem, cg->pids, cg->cpu};
  for (int i = 0; i < (version == 2 ? 1 : 3); i++) {
    snprintf(path, sizeof path, "%s/cgroup.procs", dirs[i]);
    int rc = write_file(path, text);
    if (rc < 0) return rc;
  }
  return 0;
}

static int write_in(const char *dir, const char *file, uint64_t value) {
  char path[600], text[32];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  snprintf(text, sizeof text, "%" PRIu64, value);
  return write_file(path, text);
}

int cgroup_set_limits(const struct run_cgroup *cg, uint64_t memory, uint64_t processes) {
  int rc;
  if (version == 2) {
    if ((rc = write_in(cg->mem, "memory.max", memory)) < 0) return rc;
    rc = write_in(cg->mem, "memory.swap.max", 0);
    if (rc < 0 && rc != -ENOENT) return rc; /* absent when the kernel does not account swap */
    /* the box's init counts as one process */
    return write_in(cg->pids, "pids.max", processes + 1);
  }
  if ((rc = write_in(cg->mem, "memory.limit_in_bytes", memory)) < 0) return rc;
  rc = write_in(cg->mem, "memory.memsw.limit_in_bytes", memory);
  if (rc < 0 && rc != -ENOENT) return rc;
  write_in(cg->mem, "memory.swappiness", 0);
  return write_in(cg->pids, "pids.max", processes + 1);
}

static uint64_t read_u64_file(const char *dir, const char *file) {
  char path[600], buf[64];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  if (read_file(path, buf, sizeof buf) <= 0) return 0;
  return strtoull(buf, NULL, 10);
}

static uint64_t read_keyed(const char *dir, const char *file, const char *key) {
  char path[600], buf[4096];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  if (read_file(path, buf, sizeof buf) <= 0) return 0;
  size_t klen = strlen(key);
  for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
    if (strncmp(l, key, klen) == 0 && l[klen] == ' ') return strtoull(l + klen + 1, NULL, 10);
  return 0;
}

uint64_t cgroup_cpu_ns(const struct run_cgroup *cg) {
  if (version == 2) return read_keyed(cg->cpu, "cpu.stat", "usage_usec") * 1000ull;
  return read_u64_file(cg->cpu, "cpuacct.usage");
}

uint64_t cgroup_peak_memory(const struct run_cgroup *cg) {
  return read_u64_file(cg->mem, version == 2 ? "memory.peak" : "memory.max_usage_in_bytes");
}

uint64_t cgroup_oom_kills(const struct run_cgroup *cg) {
  if (version == 2) return read_keyed(cg->mem, "memory.events", "oom_kill");
  return read_keyed(cg->mem, "memory.oom_control", "oom_kill");
}

int cgroup_try_remove(const struct run_cgroup *cg) {
  const char *dirs[3] = {cg->mem, cg->pids, cg->cpu};
  int done = 1;
  for (int i = 0; i < (version == 2 ? 1 : 3); i++)
    if (rmdir(dirs[i]) < 0 && errno == EBUSY) done = 0; /* gone, or another error we cannot fix: drop */
  return done;
}

void cgroup_remove(const struct run_cgroup *cg) {
  const char *dirs[3] = {cg->mem, cg->pids, cg->cpu};
  for (int i = 0; i < (version == 2 ? 1 : 3); i++) {
    /* Right after the last process is reaped the kernel may still report the cgroup busy briefly. */
    for (int attempt = 0; attempt < 200; attempt++) {
      if (rmdir(dirs[i]) == 0 || errno == ENOENT) break;
      if (errno != EBUSY) break;
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
    }
  }
}

/*
 * Leaves left by a helper of this executor that was killed (SIGKILL skips our cleanup): leaves stamped
 * with our own PID namespace whose helper pid is gone. A leaf of another namespace (another executor on
 * the node, whose pids we cannot see) is never touched, nor one without a stamp; and rmdir refuses a
 * cgroup that still holds a process. A leaf whose executor container is gone stays until a later
 * executor gets the same namespace inode, or the node restarts: an empty cgroup costs next to nothing.
 */
static void sweep_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    const char *n = strstr(e->d_name, "-n");
    const char *p = n ? strstr(n, "-p") : NULL;
    if (!p || !strstr(p, "-r")) continue;
    char *end;
    unsigned long long ns = strtoull(n + 2, &end, 10);
    if (end == n + 2 || *end != '-' || ns != own_pidns()) continue;
    long pid = strtol(p + 2, &end, 10);
    if (end == p + 2 || *end != '-' || pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno == EPERM)) continue;
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    rmdir(path);
  }
  closedir(d);
}

void cgroup_sweep_stale(void) {
  char dir[700];
  if (version == 2) {
    sweep_dir(v2_base);
    return;
  }
  const char *owns[3] = {v1_memory_own, v1_pids_own, v1_cpuacct_own};
  for (int i = 0; i < 3; i++) {
    snprintf(dir, sizeof dir, "%s/%s", owns[i], cfg.cgroup_name);
    sweep_dir(dir);
  }
}
