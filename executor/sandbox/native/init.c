/*
 * remcode-init: the executor container's first process (the image's entry point).
 *
 * On cgroup v1 an engine starts a container in the host's cgroup namespace, and there a process
 * holding CAP_SYS_ADMIN, which the sandbox helper needs, can mount a hierarchy afresh and find the
 * hierarchy root's release_agent, a path the kernel runs as host root. So before the executor starts,
 * this program moves it into a cgroup namespace of its own, rooted at the container's cgroup: a fresh
 * cgroup mount from anything below then shows the container's cgroup and nothing above it, and no
 * release_agent (the kernel creates that file only at a hierarchy's root).
 *
 * A private cgroup namespace alone would not hold: `docker exec` and the engine's healthchecks start
 * processes that stay in the host's cgroup namespace, and code in the container could join one's
 * namespace or write into its memory. So the executor also gets a PID namespace and a mount namespace
 * of its own, with a /proc of that PID namespace (masked as the engine masks a container's), where no
 * such process is visible. This process stays outside as the container's PID 1: it forwards the
 * engine's signals to the executor, reaps orphans, and exits with the executor's status.
 *
 * Before it starts the executor it also installs a seccomp filter of its own, so that what an escape
 * into the helper would reach for next is refused on every engine, including those that cannot apply a
 * service's seccomp profile (Docker API before 1.44) and leave Docker's default, which gives a container
 * holding CAP_SYS_ADMIN all of it: a superblock remount (how a cgroup v1 hierarchy's release_agent is set
 * on an existing mount), the new mount API, joining another process's namespaces, a user namespace, bpf,
 * perf, userfaultfd, the keyrings, modules, kexec, handle-based opens and ptrace. It is a subset of the
 * executor's seccomp profile (manifests/seccomp/executor.json); every box adds its own, stricter one.
 *
 * Where the process lacks CAP_SYS_ADMIN (a version probe, `docker run` without the manifest's
 * capabilities) it cannot mount a cgroup hierarchy or reach what the filter refuses either, so the
 * command runs as it is. Where /sys/fs/cgroup is cgroup v2 there is no release_agent (and the engine's
 * default there is a private cgroup namespace already): the filter alone is installed. Otherwise a
 * namespace it cannot make stops the container with a message, rather than starting the executor
 * without it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#define CAP_SYS_ADMIN_BIT 21

static void fail(const char *what) {
  fprintf(stderr, "remcode-init: %s: %s\n", what, strerror(errno));
  exit(127);
}

static int holds_sys_admin(void) {
  FILE *f = fopen("/proc/self/status", "re");
  if (!f) return 1; /* cannot tell: isolate, and fail loudly if that is refused */
  char line[256];
  unsigned long long effective = ~0ULL;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "CapEff: %llx", &effective) == 1) break;
  fclose(f);
  return (effective >> CAP_SYS_ADMIN_BIT) & 1;
}

static int cgroup_v2_only(void) {
  struct statfs fs;
  return statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

/* The engine's masks for a container's /proc, repeated on the executor's own /proc: files that expose
 * kernel memory, keys or timing of the whole machine under an empty file, machine-wide directories
 * under an empty read-only tmpfs, and the kernel's settings read-only. A name this kernel lacks is
 * skipped. */
static void mask_proc(void) {
  static const char *const files[] = {"/proc/kcore",       "/proc/keys",     "/proc/latency_stats",
                                      "/proc/timer_list",  "/proc/timer_stats", "/proc/sched_debug"};
  static const char *const dirs[] = {"/proc/acpi", "/proc/asound", "/proc/scsi"};
  static const char *const read_only[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                          "/proc/sysrq-trigger"};
  struct stat st;
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    if (stat(files[i], &st) == 0 && mount("/dev/null", files[i], NULL, MS_BIND, NULL) < 0) fail(files[i]);
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    if (stat(dirs[i], &st) == 0 &&
        mount("remcode-mask", dirs[i], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555") < 0)
      fail(dirs[i]);
  for (size_t i = 0; i < sizeof read_only / sizeof read_only[0]; i++) {
    if (stat(read_only[i], &st) < 0) continue;
    if (mount(read_only[i], read_only[i], NULL, MS_BIND | MS_REC, NULL) < 0) fail(read_only[i]);
    /* Per mount (MS_BIND), never the proc superblock: the executor's seccomp profile refuses the latter. */
    if (mount(NULL, read_only[i], NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
      fail(read_only[i]);
  }
}

/* x86_64 numbers, spelled out so that an old libc's headers cannot drop an entry. */
static const unsigned refused[] = {
    101, /* ptrace */
    175, /* init_module */
    176, /* delete_module */
    246, /* kexec_load */
    248, /* add_key */
    249, /* request_key */
    250, /* keyctl */
    298, /* perf_event_open */
    303, /* name_to_handle_at */
    304, /* open_by_handle_at */
    308, /* setns */
    310, /* process_vm_readv */
    311, /* process_vm_writev */
    313, /* finit_module */
    320, /* kexec_file_load */
    321, /* bpf */
    323, /* userfaultfd */
    430, /* fsopen */
    431, /* fsconfig */
    432, /* fsmount */
    433, /* fspick */
    442, /* mount_setattr */
};
#define NR_CLONE 56
#define NR_MOUNT 165
#define NR_UNSHARE 272
#define NR_CLONE3 435
#define X32_SYSCALL_BIT 0x40000000u
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + (i) * sizeof(__u64)) /* little-endian low word */

static void install_filter(void) {
  struct sock_filter f[96];
  size_t n = 0;
  /* A longer list must not write past the program: refuse to start instead. */
#define EMIT(code, k, jt, jf)                                                                       \
  do {                                                                                              \
    if (n == sizeof f / sizeof f[0]) {                                                              \
      errno = E2BIG;                                                                                \
      fail("the executor's seccomp filter does not fit its buffer");                                \
    }                                                                                               \
    f[n++] = (struct sock_filter)BPF_JUMP((code), (k), (jt), (jf));                                 \
  } while (0)
#define REFUSE(err) EMIT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err), 0, 0)
#define ALLOW() EMIT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0)
  /* Another ABI (int 0x80, x32) is another system call table, unfiltered by the rules below. */
  EMIT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  REFUSE(EPERM);
  EMIT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
  EMIT(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1);
  REFUSE(EPERM);
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    EMIT(BPF_JMP | BPF_JEQ | BPF_K, refused[i], 0, 1);
    REFUSE(EPERM);
  }
  /* clone3's flags are behind a pointer the filter cannot read: ENOSYS sends glibc back to clone. */
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, NR_CLONE3, 0, 1);
  REFUSE(ENOSYS);
  /* mount: per-mount flag changes (MS_REMOUNT with MS_BIND) and new mounts; no superblock remount. */
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, NR_MOUNT, 0, 5);  /* 0 -> 6 */
  EMIT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(3), 0, 0);   /* 1 */
  EMIT(BPF_JMP | BPF_JSET | BPF_K, MS_REMOUNT, 0, 2); /* 2 -> 5 */
  EMIT(BPF_JMP | BPF_JSET | BPF_K, MS_BIND, 1, 0);    /* 3 -> 5 */
  REFUSE(EPERM);                                      /* 4 */
  ALLOW();                                            /* 5 */
  /* 6: the system call number is still loaded. */
  /* clone and unshare: every namespace the helper builds, never a user namespace. */
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, NR_CLONE, 1, 0);        /* 0 -> 2 */
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, NR_UNSHARE, 0, 3);      /* 1 -> 5 */
  EMIT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0), 0, 0);         /* 2 */
  EMIT(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWUSER, 0, 1);  /* 3 -> 5 */
  REFUSE(EPERM);                                          /* 4 */
  ALLOW();                                                /* 5: and every other call */
#undef ALLOW
#undef REFUSE
#undef EMIT
  struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
  /* Without no_new_privs: CAP_SYS_ADMIN allows the filter, and the helper's own work needs neither. */
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) fail("cannot install the executor's seccomp filter");
}

/* In the child, before exec: its own mount namespace, where the container's /proc (which shows the
 * container's whole PID namespace) is detached and replaced by one of the new PID namespace. */
static void own_proc(void) {
  if (unshare(CLONE_NEWNS) < 0) fail("cannot make the executor's own mount namespace");
  /* Nothing done here may reach the container's mounts or the host's. */
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) fail("cannot stop mount propagation");
  if (umount2("/proc", MNT_DETACH) < 0) fail("cannot detach the container's /proc");
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    fail("cannot mount the executor's own /proc");
  mask_proc();
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: remcode-init COMMAND [ARGUMENT...]\n");
    return 2;
  }
  if (!holds_sys_admin()) {
    execvp(argv[1], argv + 1);
    fail(argv[1]);
  }
  if (cgroup_v2_only()) {
    install_filter();
    execvp(argv[1], argv + 1);
    fail(argv[1]);
  }
  if (unshare(CLONE_NEWCGROUP | CLONE_NEWPID) < 0)
    fail("cannot make the executor's own cgroup and PID namespaces");

  /* Signals are taken one by one below, so none arrives between the fork and the wait. */
  sigset_t all, previous;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &previous);
  pid_t child = fork();
  if (child < 0) fail("fork");
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &previous, NULL);
    own_proc();
    install_filter();
    execvp(argv[1], argv + 1);
    fail(argv[1]);
  }

  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      /* The engine's stop signal, a terminal's interrupt and the rest go to the executor, which is
       * PID 1 of its namespace and so receives only the signals it handles. */
      kill(child, sig);
      continue;
    }
    int status;
    pid_t done;
    /* As the container's PID 1 it also inherits orphans (a `docker exec` whose parent went). */
    while ((done = waitpid(-1, &status, WNOHANG)) > 0)
      if (done == child) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
}
