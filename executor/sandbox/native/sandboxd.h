/* Shared declarations of remcode-sandboxd's modules. */
#ifndef REMCODE_SANDBOXD_H
#define REMCODE_SANDBOXD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_ETC_ENTRIES 64
#define WORKSPACE_PATH "/tmp/ws"
#define STAGING_PATH "/tmp"

struct config {
  int slot;
  uid_t uid;
  gid_t gid;
  const char *instance;    /* unique per executor process: keeps cgroup names apart */
  const char *cgroup_name; /* parent cgroup below each hierarchy's root */
  const char *etc[MAX_ETC_ENTRIES];
  int etc_count;
  int cap_last_cap;
};

extern struct config cfg;

/* config.c */
void config_parse(int argc, char **argv); /* the helper's options; dies with a usage message */
void config_load_host(void);

/* io.c */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
int write_all(int fd, const void *buf, size_t len);
int read_exact(int fd, void *buf, size_t len); /* 1 = ok, 0 = EOF before any byte, -1 = error/short */
/* `len` bytes with 1..4 descriptors attached (SCM_RIGHTS). Bytes sent, or -1. */
ssize_t send_with_fds(int sock, const void *data, size_t len, const int *fds, int nfds);
/* Up to `len` bytes with exactly `nfds` descriptors, received close-on-exec. Bytes received, 0 at EOF,
 * -1 on error or when not exactly `nfds` descriptors came (any that did are closed). */
ssize_t recv_with_fds(int sock, void *data, size_t len, int *fds, int nfds, int flags);
uint64_t now_ns(void);
int write_file(const char *path, const char *text); /* 0 or -errno */
int read_file(const char *path, char *buf, size_t cap); /* bytes read or -errno; NUL-terminated */
uint64_t get_u64(const unsigned char *p);
uint32_t get_u32(const unsigned char *p);
void put_u64(unsigned char *p, uint64_t v);
void put_u32(unsigned char *p, uint32_t v);

/* cgroup.c */
struct run_cgroup {
  char mem[512];
  char pids[512];
  char cpu[512]; /* v1: cpuacct hierarchy; v2: same directory as mem */
};
int cgroup_detect(char *err, size_t errlen); /* returns 1 or 2, or 0 with err set */
int cgroup_create(struct run_cgroup *cg, unsigned long seq, char *err, size_t errlen);
int cgroup_attach(const struct run_cgroup *cg, pid_t pid);
int cgroup_set_limits(const struct run_cgroup *cg, uint64_t memory, uint64_t processes);
uint64_t cgroup_cpu_ns(const struct run_cgroup *cg);
uint64_t cgroup_peak_memory(const struct run_cgroup *cg);
uint64_t cgroup_oom_kills(const struct run_cgroup *cg);
void cgroup_remove(const struct run_cgroup *cg);
int cgroup_try_remove(const struct run_cgroup *cg); /* 1 when gone, 0 while still busy */
void cgroup_sweep_stale(void);
int cgroup_version(void);

/* seccomp.c */
int seccomp_install(void);

/* box.c: the sandbox's own init (pid 1 of its namespaces) */
struct run_spec {
  uint64_t cpu_ms;
  uint64_t file_size;
  uint64_t open_files;
  uint64_t stack;
  uint64_t tmp_bytes;
  uint32_t argc;
  uint32_t envc;
  uint32_t blob_len; /* cwd, argv and env as consecutive NUL-terminated strings */
};

/* Messages from the box's init to the helper over the control socket. */
struct box_msg {
  int32_t kind; /* BOX_* */
  int32_t a;
  int32_t b;
};
#define BOX_READY 0 /* a = PROC_*: how /proc was mounted */
#define BOX_STATUS 1 /* a = END_*, b = exit code, signal or errno */
#define BOX_SETUP_FAILED 2 /* a = errno, b = step */

void box_main(int ctl) __attribute__((noreturn));
void exec_in_path(char *const argv[], char *const envp[]); /* returns only on failure, errno set */

/* A warm interpreter's box: the same steps, but the program is not exec'd. box_main_warm returns only in
 * the program's process, once it is in the state execve would have left it in, with the argv it was
 * asked to run; the interpreter already running in that address space then runs the program itself. */
struct warm_program {
  uint32_t argc;
  char **argv;
};
struct sigaction;
const struct warm_program *box_main_warm(int ctl, const struct sigaction *dispositions);
int loopback_up(void);
int caps_clear(void); /* empties every capability set but the bounding one; 0 or -1 with errno */
int caps_clear_inherited(void); /* empties the inheritable and ambient sets only */

/* The box's /proc, best first (see mount_proc in box.c). */
#define PROC_STRICT 0 /* subset=pid,hidepid=invisible */
#define PROC_HIDEPID 1 /* hidepid=2 and Docker's masks */
#define PROC_PLAIN 2   /* Docker's masks only */

/* workspace.c */
int workspace_create(uint64_t size_bytes, char *err, size_t errlen);
int workspace_put(const char *path, uint32_t mode, const unsigned char *data, size_t len, char *err, size_t errlen);
int workspace_snapshot(uint64_t max_bytes, int out_fd, char *err, size_t errlen); /* 0, or -ERR_* */
void workspace_release(void);
int workspace_present(void);
int workspace_clone_fd(void); /* a detached copy to attach inside a box, or -errno */

#endif
