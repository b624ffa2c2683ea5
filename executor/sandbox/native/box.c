/*
 * The box: pid 1 of a fresh set of PID, mount, IPC, UTS and network namespaces. The helper forks it
 * ahead of time; it builds the root filesystem, then waits on the control socket. When a run arrives it
 * attaches the workspace at /box, mounts a private /tmp and /dev/shm, forks the program, drops every
 * privilege in the child, and reports how the program ended. When it exits, the kernel kills every
 * other process of the PID namespace: nothing a run starts can outlive it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdint.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "protocol.h"
#include "sandboxd.h"

#define ROOT STAGING_PATH "/root"
#define RC_MOVE_MOUNT_F_EMPTY_PATH 0x4
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif

enum step {
  STEP_MOUNTS = 1,
  STEP_ROOT,
  STEP_ETC,
  STEP_DEV,
  STEP_PROC,
  STEP_PIVOT,
  STEP_RECV,
  STEP_BOX,
  STEP_TMP,
  STEP_FORK,
  STEP_CAPS
};

static int ctl_fd;

static void send_msg(int32_t kind, int32_t a, int32_t b) {
  struct box_msg m = {kind, a, b};
  write_all(ctl_fd, &m, sizeof m);
}

static void fail(enum step step) __attribute__((noreturn));
static void fail(enum step step) {
  send_msg(BOX_SETUP_FAILED, errno, (int32_t)step);
  _exit(1);
}

static void bind_ro(const char *src, const char *dst, int is_dir) {
  if (is_dir) {
    if (mkdir(dst, 0755) < 0 && errno != EEXIST) fail(STEP_ROOT);
  } else {
    int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) fail(STEP_ROOT);
    close(fd);
  }
  if (mount(src, dst, NULL, MS_BIND, NULL) < 0) fail(STEP_ROOT);
  if (mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0) fail(STEP_ROOT);
}

/* Mirror a host path into the new root: symlinks as symlinks (merged /usr), directories and files
 * as read-only bind mounts. Missing paths are skipped. */
static void mirror(const char *host, const char *dst) {
  struct stat st;
  if (lstat(host, &st) < 0) return;
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = readlink(host, target, sizeof target - 1);
    if (n < 0) fail(STEP_ROOT);
    target[n] = '\0';
    if (symlink(target, dst) < 0) fail(STEP_ROOT);
  } else if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
    bind_ro(host, dst, S_ISDIR(st.st_mode));
  }
}

static void put_text(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write_all(fd, text, strlen(text)) < 0) fail(STEP_ETC);
  close(fd);
}

static void build_etc(void) {
  if (mount("remcode-etc", ROOT "/etc", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=256k,mode=0755") < 0)
    fail(STEP_ETC);
  char text[512];
  snprintf(text, sizeof text,
           "root:x:0:0:root:/root:/usr/sbin/nologin\nrunner:x:%u:%u:runner:/box:/bin/sh\n"
           "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
           (unsigned)cfg.uid, (unsigned)cfg.gid);
  put_text(ROOT "/etc/passwd", text);
  snprintf(text, sizeof text, "root:x:0:\nrunner:x:%u:\nnogroup:x:65534:\n", (unsigned)cfg.gid);
  put_text(ROOT "/etc/group", text);
  put_text(ROOT "/etc/hosts", "127.0.0.1\tlocalhost remcode\n::1\tlocalhost ip6-localhost ip6-loopback\n");
  put_text(ROOT "/etc/hostname", "remcode\n");
  put_text(ROOT "/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files\n");
  for (int i = 0; i < cfg.etc_count; i++) {
    char host[600], dst[600];
    snprintf(host, sizeof host, "/etc/%s", cfg.etc[i]);
    snprintf(dst, sizeof dst, ROOT "/etc/%s", cfg.etc[i]);
    mirror(host, dst);
  }
  /* Read-only per mount (MS_BIND), not per superblock: the executor's seccomp profile refuses every
   * superblock remount, the call that sets a cgroup v1 hierarchy's release_agent. */
  if (mount(NULL, ROOT "/etc", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    fail(STEP_ETC);
}

static void build_dev(void) {
  if (mount("remcode-dev", ROOT "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755") < 0) fail(STEP_DEV);
  static const char *nodes[] = {"null", "zero", "full", "random", "urandom"};
  for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
    char host[64], dst[128];
    snprintf(host, sizeof host, "/dev/%s", nodes[i]);
    snprintf(dst, sizeof dst, ROOT "/dev/%s", nodes[i]);
    int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) fail(STEP_DEV);
    close(fd);
    if (mount(host, dst, NULL, MS_BIND, NULL) < 0) fail(STEP_DEV);
    if (mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NOEXEC, NULL) < 0) fail(STEP_DEV);
  }
  static const char *links[][2] = {
      {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}};
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
    char dst[128];
    snprintf(dst, sizeof dst, ROOT "/dev/%s", links[i][1]);
    if (symlink(links[i][0], dst) < 0) fail(STEP_DEV);
  }
  if (mkdir(ROOT "/dev/shm", 01777) < 0) fail(STEP_DEV);
  if (mount(NULL, ROOT "/dev", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL) < 0)
    fail(STEP_DEV);
}

/* How the box's /proc was mounted, reported with BOX_READY so that the helper can log a fallback. */
static int proc_mode;

/*
 * The box's own /proc. subset=pid leaves only the process directories (no /proc/sys, kcore, keys,
 * timer_list, sysrq-trigger, meminfo...), and hidepid=invisible hides every process of another uid: the
 * box's init, which is root, included. Both need Linux 5.8. On older kernels: hidepid=2 where it exists,
 * and Docker's masks over the paths subset=pid would have removed (files under /dev/null, directories
 * under an empty read-only tmpfs, the rest read-only).
 */
static void mount_proc(void) {
  static const char *const modes[] = {[PROC_STRICT] = "subset=pid,hidepid=invisible", [PROC_HIDEPID] = "hidepid=2",
                                      [PROC_PLAIN] = NULL};
  const unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  for (proc_mode = PROC_STRICT;; proc_mode++) {
    if (mount("proc", ROOT "/proc", "proc", flags, modes[proc_mode]) == 0) break;
    if (proc_mode == PROC_PLAIN || errno != EINVAL) fail(STEP_PROC);
  }
  if (proc_mode == PROC_STRICT) return;
  static const char *const masked[] = {"acpi", "asound", "interrupts", "kcore", "keys", "latency_stats",
                                       "sched_debug", "scsi", "timer_list", "timer_stats"};
  for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++) {
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, ROOT "/proc/%s", masked[i]);
    if (lstat(path, &st) < 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (mount("remcode-mask", path, "tmpfs", MS_RDONLY | flags, "size=4k,mode=0555") < 0) fail(STEP_PROC);
    } else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) {
      fail(STEP_PROC);
    }
  }
  static const char *const read_only[] = {"bus", "fs", "irq", "sys", "sysrq-trigger"};
  for (size_t i = 0; i < sizeof read_only / sizeof read_only[0]; i++) {
    char path[64];
    snprintf(path, sizeof path, ROOT "/proc/%s", read_only[i]);
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
      if (errno == ENOENT) continue;
      fail(STEP_PROC);
    }
    if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | flags, NULL) < 0) fail(STEP_PROC);
  }
}

static void build_root(void) {
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail(STEP_MOUNTS);
  if (mkdir(ROOT, 0755) < 0 && errno != EEXIST) fail(STEP_ROOT);
  if (mount("remcode-root", ROOT, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755") < 0) fail(STEP_ROOT);
  static const char *tops[] = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"};
  for (size_t i = 0; i < sizeof tops / sizeof tops[0]; i++) {
    char host[32], dst[64];
    snprintf(host, sizeof host, "/%s", tops[i]);
    snprintf(dst, sizeof dst, ROOT "/%s", tops[i]);
    mirror(host, dst);
  }
  static const char *dirs[] = {"etc", "dev", "proc", "box", "tmp"};
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
    char dst[64];
    snprintf(dst, sizeof dst, ROOT "/%s", dirs[i]);
    if (mkdir(dst, 0755) < 0) fail(STEP_ROOT);
  }
  /*
   * Debian's GHC keeps its global package database under /var (/usr/lib/ghc/package.conf.d is a link to
   * it); without it not even `base` is found. Only that directory is shown, read-only, and only when
   * the host has it.
   */
  if (access("/var/lib/ghc", F_OK) == 0) {
    if (mkdir(ROOT "/var", 0755) < 0 || mkdir(ROOT "/var/lib", 0755) < 0) fail(STEP_ROOT);
    mirror("/var/lib/ghc", ROOT "/var/lib/ghc");
  }
  build_etc();
  build_dev();
  mount_proc();
  if (chdir(ROOT) < 0) fail(STEP_PIVOT);
  /* pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves only ours. */
  if (syscall(SYS_pivot_root, ".", ".") == 0) {
    if (umount2(".", MNT_DETACH) < 0) fail(STEP_PIVOT);
  } else if (errno == EPERM) {
    /* Container engines' default seccomp profiles (Docker before 25, which Swarm services cannot
     * override) deny pivot_root. Moving our root over / and chrooting into it gives the programs the
     * same view: the host's mounts stay underneath, unreachable without chroot or mount, which no
     * program can call (no capabilities, and the seccomp filter denies both). */
    if (mount(".", "/", NULL, MS_MOVE, NULL) < 0) fail(STEP_PIVOT);
    if (chroot(".") < 0) fail(STEP_PIVOT);
  } else {
    fail(STEP_PIVOT);
  }
  if (chdir("/") < 0) fail(STEP_PIVOT);
  if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0) fail(STEP_PIVOT);
}

/* Loopback only. Without CAP_NET_ADMIN (some container setups) the boxes simply have no network at all. */
int loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return 0;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  int ok = ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
  if (ok) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    ok = ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
  }
  close(s);
  return ok;
}

static int recv_run(struct run_spec *spec, char **blob, int fds[4]) {
  ssize_t n = recv_with_fds(ctl_fd, spec, sizeof *spec, fds, 4, MSG_WAITALL);
  if (n == 0) _exit(0); /* the helper is gone: nothing to run */
  if (n != (ssize_t)sizeof *spec) fail(STEP_RECV);
  if (spec->blob_len > (1u << 20)) fail(STEP_RECV);
  *blob = malloc(spec->blob_len + 1);
  if (!*blob || read_exact(ctl_fd, *blob, spec->blob_len) != 1) fail(STEP_RECV);
  (*blob)[spec->blob_len] = '\0';
  return 0;
}

#define STAGE_EXEC 0
#define STAGE_CWD 1
#define RC_RESOLVE_NO_MAGICLINKS 0x02
#define RC_RESOLVE_NO_SYMLINKS 0x04
#define RC_RESOLVE_BENEATH 0x08
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

struct rc_open_how {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};

static int enter_cwd(const char *cwd) {
  int box = open("/box", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (box < 0) return -1;
  int dir = box;
  if (strcmp(cwd, "/box") != 0) {
    struct rc_open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                              .resolve = RC_RESOLVE_BENEATH | RC_RESOLVE_NO_SYMLINKS | RC_RESOLVE_NO_MAGICLINKS};
    dir = (int)syscall(SYS_openat2, box, cwd + 5, &how, sizeof how);
    int saved = errno;
    close(box);
    errno = saved;
    if (dir < 0) return -1;
  }
  int rc = fchdir(dir);
  int saved = errno;
  close(dir);
  errno = saved;
  return rc;
}

static void set_limit(int resource, rlim_t soft, rlim_t hard) {
  struct rlimit r = {soft, hard};
  if (setrlimit(resource, &r) < 0) _exit(126);
}

static int capset_all(uint32_t effective, uint32_t permitted, uint32_t inheritable) {
  struct __user_cap_header_struct head = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
  for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) data[i] = (struct __user_cap_data_struct){effective, permitted, inheritable};
  return (int)syscall(SYS_capset, &head, data);
}

/* Empties the inheritable, permitted, effective and ambient sets: lowering them needs no privilege. */
int caps_clear(void) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) return -1;
  return capset_all(0, 0, 0);
}

/* The helper keeps its own capabilities but hands none on through the inheritable or ambient sets. */
int caps_clear_inherited(void) {
  struct __user_cap_header_struct head = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
  if (syscall(SYS_capget, &head, data) < 0) return -1;
  for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) data[i].inheritable = 0;
  if (syscall(SYS_capset, &head, data) < 0) return -1;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) return -1;
  return 0;
}

/*
 * Leaves a root process with no capability and no way back to one: an empty bounding set, securebits
 * that stop uid 0 from regaining capabilities through execve or setuid (locked, so they stay), and
 * empty sets.
 */
static int caps_drop_all(void) {
  for (int cap = 0; cap <= cfg.cap_last_cap; cap++)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) return -1;
  unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
                       SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
  if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0) return -1;
  return caps_clear();
}

/* execve through the PATH of envp (execvpe would search the caller's own PATH). Returns only on failure,
 * with errno EACCES when some candidate was not executable, else ENOENT. */
void exec_in_path(char *const argv[], char *const envp[]) {
  if (strchr(argv[0], '/')) {
    execve(argv[0], argv, envp);
    return;
  }
  const char *path = "/usr/local/bin:/usr/bin:/bin";
  for (char *const *ep = envp; *ep; ep++)
    if (strncmp(*ep, "PATH=", 5) == 0) path = *ep + 5;
  int saw_eacces = 0;
  for (const char *p = path;;) {
    const char *colon = strchr(p, ':');
    size_t len = colon ? (size_t)(colon - p) : strlen(p);
    char full[4096];
    if (len + strlen(argv[0]) + 2 < sizeof full) {
      snprintf(full, sizeof full, "%.*s/%s", (int)len, len ? p : ".", argv[0]);
      execve(full, argv, envp);
      if (errno == EACCES) saw_eacces = 1;
    }
    if (!colon) break;
    p = colon + 1;
  }
  errno = saw_eacces ? EACCES : ENOENT;
}

/* Set by box_main_warm: the signal dispositions the warm interpreter had before its first box. */
static const struct sigaction *warm_dispositions;

/*
 * Runs in the forked program: the last step before user code. Failures are reported through errfd.
 * Cold, it ends in execve. Warm, it returns with the process in the state execve would have left it in
 * (same fds, limits, credentials, seccomp filter, working directory), and the interpreter that is
 * already running in this address space takes over.
 */
static void enter_program(const struct run_spec *spec, char *const argv[], char *const envp[], const char *cwd,
                          int fds[4], int errfd, int gatefd) {
  int e, stage = STAGE_EXEC;
  if (setsid() < 0) goto fail;
  if (dup2(fds[1], 0) < 0 || dup2(fds[2], 1) < 0 || dup2(fds[3], 2) < 0) goto fail;
  if (dup3(errfd, 3, O_CLOEXEC) < 0 || dup3(gatefd, 4, O_CLOEXEC) < 0) goto fail;
  syscall(SYS_close_range, 5, ~0u, 0);

  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);

  /* The cgroup enforces CPU time over all processes; RLIMIT_CPU is a per-process backstop. */
  rlim_t cpu_s = (rlim_t)((spec->cpu_ms + 999) / 1000 + 1);
  set_limit(RLIMIT_CPU, cpu_s, cpu_s + 1);
  set_limit(RLIMIT_FSIZE, spec->file_size, spec->file_size);
  set_limit(RLIMIT_NOFILE, spec->open_files, spec->open_files);
  set_limit(RLIMIT_STACK, spec->stack, spec->stack);
  set_limit(RLIMIT_CORE, 0, 0);
  set_limit(RLIMIT_MSGQUEUE, 0, 0);

  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) goto fail;
  for (int cap = 0; cap <= cfg.cap_last_cap; cap++)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) goto fail;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) goto fail;
  if (setgroups(0, NULL) < 0) goto fail;
  if (setresgid(cfg.gid, cfg.gid, cfg.gid) < 0) goto fail;
  /* Leaving uid 0 without SECBIT_KEEP_CAPS clears the permitted and effective sets, not the inheritable
   * one, which keeps whatever the executor was started with. */
  if (setresuid(cfg.uid, cfg.uid, cfg.uid) < 0) goto fail;
  if (caps_clear() < 0) goto fail;
  /* Execution domain flags survive execve: the program starts with plain Linux whatever ours were. */
  if (personality(PER_LINUX) < 0) goto fail;
  /* The working directory is resolved as the program's own uid, beneath /box, following no link:
   * an earlier run of the job may have planted a symlink where the cwd should be. */
  stage = STAGE_CWD;
  if (enter_cwd(cwd) < 0) goto fail;
  stage = STAGE_EXEC;
  if (warm_dispositions) {
    /* execve would have made the new image dumpable again (leaving uid 0 cleared it): without this,
     * /proc/self would belong to root and the program could not list its own fds. */
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) goto fail;
  }
  /* Not one instruction of the program before the box's init has given up its capabilities. */
  char verdict;
  ssize_t gate;
  do gate = read(4, &verdict, 1);
  while (gate < 0 && errno == EINTR);
  if (gate != 0) _exit(127); /* the init could not drop them and reports the failure itself */
  close(4);
  if (seccomp_install() < 0) goto fail;
  if (warm_dispositions) {
    /* The interpreter's own handlers (SIGINT, SIGPIPE ignored...), as a fresh start would set them. */
    for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &warm_dispositions[sig], NULL);
    close(3); /* end of file on the error pipe: the box's init counts the program as started */
    return;
  }

  exec_in_path(argv, envp);
fail:
  e = errno;
  int report[2] = {stage, e};
  write_all(3, report, sizeof report);
  _exit(127);
}

static struct warm_program warm_call;

/* Cold: never returns. Warm: returns in the program only, after everything execve would have done. */
static const struct warm_program *run_once(void) {
  struct run_spec spec;
  char *blob;
  int fds[4]; /* workspace mount, stdin read end, stdout write end, stderr write end */
  recv_run(&spec, &blob, fds);

  if (syscall(SYS_move_mount, fds[0], "", AT_FDCWD, "/box", RC_MOVE_MOUNT_F_EMPTY_PATH) < 0) fail(STEP_BOX);
  close(fds[0]);
  char opts[96];
  snprintf(opts, sizeof opts, "size=%" PRIu64 ",nr_inodes=4096,mode=1777", spec.tmp_bytes);
  if (mount("remcode-tmp", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) fail(STEP_TMP);
  if (mount("remcode-shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) fail(STEP_TMP);

  /* blob: cwd, argv..., env... */
  char **argv = calloc(spec.argc + 1, sizeof *argv);
  char **envp = calloc(spec.envc + 1, sizeof *envp);
  if (!argv || !envp || spec.argc == 0) fail(STEP_RECV);
  char *p = blob, *end = blob + spec.blob_len;
  const char *cwd = p;
  p += strlen(p) + 1;
  for (uint32_t i = 0; i < spec.argc; i++) {
    if (p >= end) fail(STEP_RECV);
    argv[i] = p;
    p += strlen(p) + 1;
  }
  for (uint32_t i = 0; i < spec.envc; i++) {
    if (p >= end) fail(STEP_RECV);
    envp[i] = p;
    p += strlen(p) + 1;
  }

  int errpipe[2], gate[2];
  if (pipe2(errpipe, O_CLOEXEC) < 0 || pipe2(gate, O_CLOEXEC) < 0) fail(STEP_FORK);
  pid_t child = fork();
  if (child < 0) fail(STEP_FORK);
  if (child == 0) {
    close(errpipe[0]);
    close(gate[1]);
    enter_program(&spec, argv, envp, cwd, fds, errpipe[1], gate[0]);
    warm_call.argc = spec.argc;
    warm_call.argv = argv;
    return &warm_call;
  }
  close(errpipe[1]);
  close(gate[0]);
  /* The box is built: everything left to us (waiting, reporting) needs no privilege. The program waits
   * at the gate until this is done (end of file), or dies if it failed (a byte). */
  if (caps_drop_all() < 0) {
    int saved = errno;
    write_all(gate[1], "x", 1);
    kill(child, SIGKILL);
    errno = saved;
    fail(STEP_CAPS);
  }
  close(gate[1]);
  close(fds[1]);
  close(fds[2]);
  close(fds[3]);
  int report[2] = {0, 0}; /* stage, errno */
  ssize_t n;
  do n = read(errpipe[0], report, sizeof report);
  while (n < 0 && errno == EINTR);
  close(errpipe[0]);
  if (n == (ssize_t)sizeof report) {
    waitpid(child, NULL, 0);
    send_msg(BOX_STATUS, report[0] == STAGE_CWD ? END_CWD_FAILED : END_EXEC_FAILED, report[1]);
    _exit(0);
  }
  /* As pid 1 we reap every orphan; the run is over when the program itself ends. */
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      send_msg(BOX_STATUS, END_UNKNOWN, errno);
      _exit(0);
    }
    if (pid != child) continue;
    if (WIFEXITED(status)) send_msg(BOX_STATUS, END_EXITED, WEXITSTATUS(status));
    else send_msg(BOX_STATUS, END_SIGNALED, WTERMSIG(status));
    _exit(0);
  }
}

static const struct warm_program *box_serve(int ctl) {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* Never hold the executor's pipes: stdio becomes /dev/null, the control socket moves to fd 3. */
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) _exit(1);
  dup2(devnull, 0);
  dup2(devnull, 1);
  dup2(devnull, 2);
  if (ctl != 3) {
    if (dup3(ctl, 3, O_CLOEXEC) < 0) _exit(1);
  }
  ctl_fd = 3;
  syscall(SYS_close_range, 4, ~0u, 0);
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);

  build_root();
  if (sethostname("remcode", 7) < 0) { /* the UTS namespace is ours: this cannot fail in practice */ }
  send_msg(BOX_READY, proc_mode, 0);
  return run_once();
}

void box_main(int ctl) {
  box_serve(ctl);
  _exit(0); /* not reached: a cold program replaces itself with execve */
}

const struct warm_program *box_main_warm(int ctl, const struct sigaction *dispositions) {
  warm_dispositions = dispositions;
  return box_serve(ctl);
}
