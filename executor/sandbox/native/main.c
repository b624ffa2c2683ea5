/*
 * remcode-sandboxd: one sandbox slot. The executor starts one per slot and speaks the protocol in
 * protocol.h over our stdin and stdout. Between runs we fork the next box ahead of time, so that a run
 * pays only for handing over its request and execve; namespace and mount setup happen while idle.
 *
 * usage: remcode-sandboxd --slot N --uid U --gid G --instance ID --cgroup NAME [--etc NAME]...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "protocol.h"
#include "sandboxd.h"

#define MAX_FRAME (256u << 20)
#define MAX_ARGV_ENV (1u << 20)

/* ---------- frames to and from the executor ---------- */

static void send_frame(unsigned char type, const void *a, size_t alen, const void *b, size_t blen) {
  unsigned char head[5];
  put_u32(head, (uint32_t)(1 + alen + blen));
  head[4] = type;
  if (write_all(1, head, 5) < 0 || (alen && write_all(1, a, alen) < 0) || (blen && write_all(1, b, blen) < 0))
    exit(0); /* the executor is gone */
}

static void send_error(int code, const char *msg) {
  unsigned char c = (unsigned char)code;
  send_frame(RES_ERROR, &c, 1, msg, strlen(msg));
}

static void send_ok(void) { send_frame(RES_OK, NULL, 0, NULL, 0); }

/* Incoming frames are read with a growable buffer so that a CANCEL can arrive while a run streams. */
static unsigned char *inbuf;
static size_t inlen, incap;

/* Returns 1 when a whole frame is buffered (type and payload set), 0 when more input is needed. */
static int take_frame(unsigned char *type, unsigned char **payload, size_t *plen) {
  if (inlen < 5) return 0;
  uint32_t len = get_u32(inbuf);
  if (len == 0 || len > MAX_FRAME) die("protocol error: frame of %u bytes", len);
  if (inlen < 4 + (size_t)len) return 0;
  *type = inbuf[4];
  *payload = inbuf + 5;
  *plen = len - 1;
  return 1;
}

static void drop_frame(void) {
  size_t used = 4 + get_u32(inbuf);
  memmove(inbuf, inbuf + used, inlen - used);
  inlen -= used;
}

/* Reads what is available from stdin; returns 0 on EOF. */
static int fill_input(void) {
  if (incap - inlen < 65536) {
    size_t want = incap ? incap * 2 : 1 << 20;
    if (inlen >= 5) {
      size_t need = 4 + (size_t)get_u32(inbuf);
      if (need > want) want = need;
    }
    unsigned char *p = realloc(inbuf, want);
    if (!p) die("out of memory");
    inbuf = p;
    incap = want;
  }
  ssize_t n;
  do n = read(0, inbuf + inlen, incap - inlen);
  while (n < 0 && errno == EINTR);
  if (n < 0) die("read stdin: %s", strerror(errno));
  if (n == 0) return 0;
  inlen += (size_t)n;
  return 1;
}

/* ---------- boxes, forked ahead ---------- */

struct box {
  pid_t pid;
  int ctl;
  /* The box's mount namespace, held so that its teardown waits for us (see handle_run); -1 if not held. */
  int mnt;
  unsigned long seq;
  struct run_cgroup cg;
};

/* One cold box, forked by us, and (while a warm interpreter runs) one warm box, cloned by it. */
static struct box ready = {.pid = -1, .ctl = -1, .mnt = -1};
static struct box ready_warm = {.pid = -1, .ctl = -1, .mnt = -1};
static unsigned long seq;

/* The warm interpreter (zygote.c): a run may use its box when it asks for the same argv[0] with exactly
 * the environment the interpreter started with, and names a script rather than an option. */
static struct {
  pid_t pid;
  int sock;
  char *argv0;
  char **env; /* NULL-terminated */
  size_t envc;
} warm = {.pid = -1, .sock = -1};

/* libremcode-warm.so, beside our own binary, opened before the staging tmpfs can hide it. */
static char warm_lib[4096];
static int lib_fd = -1, lib_errno = ENOENT;

/* Used cgroups wait here until the helper is idle: right after a run the kernel may still report them
 * busy for a few milliseconds, and no request should wait for that. */
#define MAX_RETIRED 64
static struct run_cgroup retired[MAX_RETIRED];
static int retired_count;

static void retire_cgroup(const struct run_cgroup *cg) {
  if (retired_count == MAX_RETIRED) cgroup_remove(cg);
  else retired[retired_count++] = *cg;
}

/* Removes retired cgroups while no request is waiting. */
static void remove_retired_while_idle(void) {
  while (retired_count > 0) {
    struct pollfd p = {0, POLLIN, 0};
    if (poll(&p, 1, 0) > 0) return;
    if (cgroup_try_remove(&retired[retired_count - 1])) {
      retired_count--;
    } else if (poll(&p, 1, 2) != 0) {
      return; /* still busy: try again in 2 ms unless a request comes first */
    }
  }
}

static void box_discard(struct box *b) {
  if (b->pid > 0) {
    kill(b->pid, SIGKILL);
    while (waitpid(b->pid, NULL, 0) < 0 && errno == EINTR) {
    }
    cgroup_remove(&b->cg);
  }
  if (b->ctl >= 0) close(b->ctl);
  if (b->mnt >= 0) close(b->mnt);
  b->pid = -1;
  b->ctl = -1;
  b->mnt = -1;
}

static void warm_stop(void);
static long warm_clone(int ctl, char *err, size_t errlen);

static int box_prepare(int use_warm, char *err, size_t errlen) {
  struct box b = {.pid = -1, .ctl = -1, .mnt = -1, .seq = ++seq};
  if (cgroup_create(&b.cg, b.seq, err, errlen) < 0) return -1;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    snprintf(err, errlen, "socketpair: %s", strerror(errno));
    cgroup_remove(&b.cg);
    return -1;
  }
  long pid;
  if (use_warm) {
    pid = warm_clone(sv[1], err, errlen);
  } else {
    /* fork-like clone straight into new namespaces; the child's stack is a copy-on-write of ours */
    /* No CLONE_NEWNET: boxes share the slot's network namespace (see main). */
    pid = syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD, NULL, NULL, NULL,
                  NULL);
    if (pid < 0) snprintf(err, errlen, "clone: %s", strerror(errno));
  }
  if (pid < 0) {
    close(sv[0]);
    close(sv[1]);
    cgroup_remove(&b.cg);
    return -1;
  }
  if (pid == 0) {
    close(sv[0]);
    box_main(sv[1]);
  }
  close(sv[1]);
  b.pid = (pid_t)pid;
  b.ctl = sv[0];
  int rc = cgroup_attach(&b.cg, b.pid);
  if (rc < 0) {
    snprintf(err, errlen, "join cgroup: %s", strerror(-rc));
    box_discard(&b);
    return -1;
  }
  /* Our unreaped child, so the pid is still its own. Without the reference the namespace is torn down in
   * place, as before, when its last process exits. Boxes and the warm interpreter close every descriptor
   * they inherit but their own few, so the reference never reaches a run. */
  char ns[64];
  snprintf(ns, sizeof ns, "/proc/%ld/ns/mnt", pid);
  b.mnt = open(ns, O_RDONLY | O_CLOEXEC);
  if (use_warm) ready_warm = b;
  else ready = b;
  return 0;
}

/* ---------- the warm interpreter ---------- */

static void warm_stop(void) {
  box_discard(&ready_warm);
  if (warm.pid > 0) {
    kill(warm.pid, SIGKILL);
    while (waitpid(warm.pid, NULL, 0) < 0 && errno == EINTR) {
    }
  }
  if (warm.sock >= 0) close(warm.sock);
  free(warm.argv0);
  for (size_t i = 0; i < warm.envc; i++) free(warm.env[i]);
  free(warm.env);
  warm.pid = -1;
  warm.sock = -1;
  warm.argv0 = NULL;
  warm.env = NULL;
  warm.envc = 0;
}

/* Asks the interpreter for a box; returns its pid. A failure stops warm starts until the next request. */
static long warm_clone(int ctl, char *err, size_t errlen) {
  if (warm.sock < 0) {
    snprintf(err, errlen, "no warm interpreter");
    return -1;
  }
  char byte = 'B';
  int32_t answer = 0;
  if (send_with_fds(warm.sock, &byte, 1, &ctl, 1) != 1 || read_exact(warm.sock, &answer, sizeof answer) != 1) {
    snprintf(err, errlen, "the warm interpreter stopped");
    fprintf(stderr, "remcode-sandboxd: slot %d: %s; runs start cold from now on\n", cfg.slot, err);
    warm_stop();
    return -1;
  }
  if (answer < 0) {
    snprintf(err, errlen, "warm clone: %s", strerror(-answer));
    return -1;
  }
  return answer;
}

/*
 * REQ_WARM: TAG_ARG fields are the interpreter's argv (argv[0] found through the environment's PATH);
 * our own options and the library's path are appended after them, for the interpreter's start-up code
 * to pass to rc_warm_serve. TAG_ENV fields are its environment and the one runs must match. An empty
 * request stops the interpreter. Answers OK once the interpreter is serving, else ERROR.
 */
static int main_argc;
static char **main_argv;

static void handle_warm(const unsigned char *p, size_t len) {
  char err[512] = "";
  warm_stop();
  size_t nargs = 0, nenv = 0;
  for (size_t off = 0; off < len;) {
    if (len - off < 5) return send_error(ERR_INVALID, "malformed warm request");
    uint32_t flen = get_u32(p + off + 1);
    if (flen > len - off - 5) return send_error(ERR_INVALID, "malformed warm request");
    if (memchr(p + off + 5, '\0', flen)) return send_error(ERR_INVALID, "warm argv or environment contains a NUL byte");
    if (p[off] == TAG_ARG) nargs++;
    else if (p[off] == TAG_ENV) {
      if (!memchr(p + off + 5, '=', flen)) return send_error(ERR_INVALID, "environment entry without '='");
      /* Distinct entries let run_fits_warm match a run's environment in one direction. */
      for (size_t o2 = 0; o2 < off; o2 += 5 + get_u32(p + o2 + 1))
        if (p[o2] == TAG_ENV && get_u32(p + o2 + 1) == flen && memcmp(p + o2 + 5, p + off + 5, flen) == 0)
          return send_error(ERR_INVALID, "warm environment repeats an entry");
      nenv++;
    } else return send_error(ERR_INVALID, "warm request fields are argv and environment only");
    off += 5 + flen;
  }
  if (nargs == 0 && nenv == 0) return send_ok();
  if (nargs == 0) return send_error(ERR_INVALID, "warm request without argv");
  char **args = calloc(nargs + (size_t)main_argc + 2, sizeof *args);
  char **env = calloc(nenv + 1, sizeof *env);
  if (!args || !env) die("out of memory");
  size_t ia = 0, ie = 0;
  for (size_t off = 0; off < len;) {
    uint32_t flen = get_u32(p + off + 1);
    char *s = strndup((const char *)p + off + 5, flen);
    if (!s) die("out of memory");
    if (p[off] == TAG_ARG) args[ia++] = s;
    else env[ie++] = s;
    off += 5 + flen;
  }
  /* The library is handed over as an open descriptor: it may sit below /tmp, which our staging tmpfs
   * hides in this mount namespace. */
  args[ia++] = "/proc/self/fd/4";
  for (int i = 1; i < main_argc; i++) args[ia++] = main_argv[i];
  int sv[2] = {-1, -1}, in[2] = {-1, -1};
  if (lib_fd < 0) {
    snprintf(err, sizeof err, "%s: %s (run npm run build:native)", warm_lib, strerror(lib_errno));
  } else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(in, O_CLOEXEC) < 0) {
    snprintf(err, sizeof err, "socketpair: %s", strerror(errno));
  } else {
    pid_t pid = fork();
    if (pid == 0) {
      /* stdin: a pipe nobody writes; stdout and stderr: ours, so its complaints reach the executor's log.
       * Pipes, not /dev/null, because the interpreter records at start-up what its standard streams are
       * (seekable or not, block size) and a program's streams are pipes. */
      close(in[1]);
      /* Above every target first, so that no source is overwritten before it is moved. */
      int from[3] = {fcntl(in[0], F_DUPFD, 10), fcntl(sv[1], F_DUPFD, 10), fcntl(lib_fd, F_DUPFD, 10)};
      if (from[0] < 0 || from[1] < 0 || from[2] < 0) _exit(127);
      if (dup2(from[0], 0) < 0 || dup2(2, 1) < 0 || dup2(from[1], 3) < 0 || dup2(from[2], 4) < 0) _exit(127);
      syscall(SYS_close_range, 5, ~0u, 0);
      if (chdir("/") < 0) _exit(127);
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, NULL);
      for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
      /* Found the way a box finds its program; a failure is reported on the socket instead of 'Y'. */
      exec_in_path(args, env);
      char report[1 + sizeof(int)] = {'E'};
      memcpy(report + 1, &errno, sizeof(int));
      write_all(3, report, sizeof report);
      _exit(127);
    }
    /* Our copies go at once: an interpreter that dies must leave its socket at end of file. */
    close(sv[1]), sv[1] = -1;
    close(in[0]), close(in[1]), in[0] = in[1] = -1;
    if (pid < 0) {
      snprintf(err, sizeof err, "fork: %s", strerror(errno));
    } else {
      warm.pid = pid;
      warm.sock = sv[0];
      sv[0] = -1;
      /* Its start-up: an interpreter loading its library takes tens of milliseconds; a minute is a hang. */
      struct pollfd pf = {warm.sock, POLLIN, 0};
      char ready_byte = 0;
      int exec_errno = 0;
      if (poll(&pf, 1, 60000) == 1 && read_exact(warm.sock, &ready_byte, 1) == 1 && ready_byte == 'Y') {
        /* serving */
      } else if (ready_byte == 'E' && read_exact(warm.sock, &exec_errno, sizeof exec_errno) == 1) {
        if (exec_errno == ENOENT) snprintf(err, sizeof err, "warm interpreter %s not found", args[0]);
        else snprintf(err, sizeof err, "warm interpreter %s: %s", args[0], strerror(exec_errno));
      } else {
        snprintf(err, sizeof err, "warm interpreter %s did not start (see the executor's log)", args[0]);
      }
    }
  }
  if (sv[0] >= 0) close(sv[0]);
  if (sv[1] >= 0) close(sv[1]);
  if (in[0] >= 0) close(in[0]), close(in[1]);
  warm.argv0 = args[0];
  for (size_t i = 1; i < nargs; i++) free(args[i]);
  free(args);
  warm.env = env;
  warm.envc = nenv;
  if (err[0]) {
    warm_stop();
    return send_error(ERR_SYSTEM, err);
  }
  if (box_prepare(1, err, sizeof err) < 0) {
    warm_stop();
    return send_error(ERR_SYSTEM, err);
  }
  send_ok();
}

static const char *step_name(int step) {
  static const char *names[] = {"?", "mounts", "root", "etc", "dev", "proc", "pivot_root", "receive", "box", "tmp", "fork", "capabilities"};
  return step > 0 && step < (int)(sizeof names / sizeof names[0]) ? names[step] : "?";
}

/* ---------- one run ---------- */

struct stream {
  int fd;
  uint64_t sent;
  int truncated;
  unsigned char id;
};

struct run_state {
  uint64_t limit_cpu_ns, limit_wall_ns, limit_output;
  uint64_t start;
  int kill_reason;
  int end_kind, end_code;
  int killed;
  pid_t pid;
};

static void kill_run(struct run_state *r, int reason) {
  if (!r->killed) {
    r->killed = 1;
    if (r->kill_reason == KILL_NONE) r->kill_reason = reason;
    kill(r->pid, SIGKILL); /* pid 1 of the box: its death takes the whole PID namespace with it */
  }
}

static void pump_output(struct run_state *r, struct stream *s) {
  unsigned char buf[65536];
  ssize_t n = read(s->fd, buf, sizeof buf);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    n = 0;
  }
  if (n == 0) {
    close(s->fd);
    s->fd = -1;
    return;
  }
  uint64_t room = r->limit_output - s->sent;
  size_t keep = (uint64_t)n > room ? (size_t)room : (size_t)n;
  if (keep) send_frame(RES_OUTPUT, &s->id, 1, buf, keep);
  s->sent += keep;
  if ((size_t)n > keep) {
    s->truncated = 1;
    kill_run(r, KILL_OUTPUT);
  }
}

struct run_input {
  uint64_t cpu_ms, wall_ms, memory, processes, output, file_size, open_files, stack, tmp;
  const unsigned char *stdin_data;
  size_t stdin_len;
  char *blob;
  size_t blob_len;
  uint32_t argc, envc;
  int next; /* TAG_NEXT: another run of the same job follows */
};

static int parse_run(const unsigned char *p, size_t len, struct run_input *in, char *err, size_t errlen) {
  memset(in, 0, sizeof *in);
  size_t cwd_len = 0, argv_len = 0, env_len = 0;
  const unsigned char *cwd = NULL;
  /* first pass: sizes and numbers */
  for (size_t off = 0; off < len;) {
    if (len - off < 5) goto bad;
    unsigned char tag = p[off];
    uint32_t flen = get_u32(p + off + 1);
    const unsigned char *v = p + off + 5;
    if (flen > len - off - 5) goto bad;
    switch (tag) {
      case TAG_ARG:
      case TAG_ENV:
      case TAG_CWD:
        if (memchr(v, '\0', flen)) {
          snprintf(err, errlen, "argument, environment or cwd contains a NUL byte");
          return -1;
        }
        if (tag == TAG_ARG) in->argc++, argv_len += flen + 1;
        else if (tag == TAG_ENV) {
          if (!memchr(v, '=', flen)) {
            snprintf(err, errlen, "environment entry without '='");
            return -1;
          }
          in->envc++, env_len += flen + 1;
        } else cwd = v, cwd_len = flen;
        break;
      case TAG_STDIN:
        in->stdin_data = v;
        in->stdin_len = flen;
        break;
      case TAG_NEXT:
        if (flen != 0) goto bad;
        in->next = 1;
        break;
      default:
        if (tag >= TAG_CPU_MS && tag <= TAG_TMP) {
          if (flen != 8) goto bad;
          uint64_t x = get_u64(v);
          uint64_t *dst[] = {&in->cpu_ms, &in->wall_ms, &in->memory, &in->processes, &in->output,
                             &in->file_size, &in->open_files, &in->stack, &in->tmp};
          *dst[tag - TAG_CPU_MS] = x;
        } else {
          goto bad;
        }
    }
    off += 5 + flen;
  }
  if (in->argc == 0) {
    snprintf(err, errlen, "empty argv");
    return -1;
  }
  if (!cwd || cwd_len == 0) cwd = (const unsigned char *)"/box", cwd_len = 4;
  if (cwd_len < 4 || memcmp(cwd, "/box", 4) != 0 || (cwd_len > 4 && cwd[4] != '/')) {
    snprintf(err, errlen, "cwd must be /box or below it");
    return -1;
  }
  if (argv_len + env_len + cwd_len + 1 > MAX_ARGV_ENV) {
    snprintf(err, errlen, "argv and environment exceed %u bytes", MAX_ARGV_ENV);
    return -1;
  }
  if (!in->cpu_ms || !in->wall_ms || !in->memory || !in->processes || !in->output || !in->open_files ||
      !in->stack || !in->tmp) {
    snprintf(err, errlen, "every limit must be given and positive");
    return -1;
  }
  /* second pass: the blob of cwd, argv, env */
  in->blob_len = cwd_len + 1 + argv_len + env_len;
  in->blob = malloc(in->blob_len);
  if (!in->blob) die("out of memory");
  char *w = in->blob;
  memcpy(w, cwd, cwd_len);
  w += cwd_len;
  *w++ = '\0';
  for (int pass = TAG_ARG; pass <= TAG_ENV; pass++)
    for (size_t off = 0; off < len;) {
      uint32_t flen = get_u32(p + off + 1);
      if (p[off] == pass) {
        memcpy(w, p + off + 5, flen);
        w += flen;
        *w++ = '\0';
      }
      off += 5 + flen;
    }
  return 0;
bad:
  snprintf(err, errlen, "malformed run request");
  return -1;
}

static int run_fits_warm(const struct run_input *in) {
  if (warm.pid < 0 || in->envc != warm.envc) return 0;
  const char *cwd = in->blob;
  const char *arg0 = cwd + strlen(cwd) + 1;
  const char *arg1 = arg0 + strlen(arg0) + 1;
  if (in->argc < 2 || strcmp(arg0, warm.argv0) != 0 || arg1[0] == '-' || arg1[0] == '\0') return 0;
  const char *e = arg1;
  for (uint32_t i = 1; i < in->argc; i++) e += strlen(e) + 1;
  /* As many entries, and every one of the interpreter's (all distinct) among the run's: the same set. */
  for (size_t k = 0; k < warm.envc; k++) {
    const char *found = e;
    uint32_t i = 0;
    while (i < in->envc && strcmp(warm.env[k], found) != 0) found += strlen(found) + 1, i++;
    if (i == in->envc) return 0;
  }
  return 1;
}

static void send_done(struct run_state *r, uint64_t cpu, uint64_t wall, uint64_t mem, uint64_t oom,
                      struct stream *out, struct stream *errs, int warm_start, const char *msg) {
  unsigned char d[DONE_PAYLOAD_SIZE];
  put_u32(d, (uint32_t)r->end_kind);
  put_u32(d + 4, (uint32_t)r->end_code);
  put_u32(d + 8, (uint32_t)r->kill_reason);
  put_u64(d + 12, cpu);
  put_u64(d + 20, wall);
  put_u64(d + 28, mem);
  put_u64(d + 36, oom);
  d[44] = (unsigned char)out->truncated;
  d[45] = (unsigned char)errs->truncated;
  d[46] = (unsigned char)warm_start;
  send_frame(RES_DONE, d, sizeof d, msg, msg ? strlen(msg) : 0);
}

static void handle_run(const unsigned char *payload, size_t plen) {
  char err[512] = "";
  struct run_input in;
  if (!workspace_present()) {
    send_error(ERR_INVALID, "no workspace: send a workspace request first");
    return;
  }
  if (parse_run(payload, plen, &in, err, sizeof err) < 0) {
    send_error(ERR_INVALID, err);
    return;
  }
  struct run_state r = {.limit_cpu_ns = in.cpu_ms * 1000000ull,
                        .limit_wall_ns = in.wall_ms * 1000000ull,
                        .limit_output = in.output,
                        .kill_reason = KILL_NONE,
                        .end_kind = END_UNKNOWN};
  struct stream out = {.fd = -1, .id = 1}, errs = {.fd = -1, .id = 2};

  /* A warm box when the run fits the warm interpreter and it has one ready, else a cold box. A box that
   * died while idle, or was never prepared, is replaced now (the slow path); a warm one by a cold one. */
  int use_warm = run_fits_warm(&in) && ready_warm.pid > 0;
  for (int attempt = 0;; attempt++) {
    struct box *src = use_warm ? &ready_warm : &ready;
    if (src->pid < 0 && box_prepare(use_warm, err, sizeof err) < 0) goto internal;
    struct box_msg m;
    int rc = read_exact(src->ctl, &m, sizeof m);
    if (rc == 1 && m.kind == BOX_READY) break;
    if (rc == 1 && m.kind == BOX_SETUP_FAILED)
      snprintf(err, sizeof err, "sandbox setup failed at step %s: %s", step_name(m.b), strerror(m.a));
    else snprintf(err, sizeof err, "sandbox died before it was ready");
    box_discard(src);
    if (use_warm) use_warm = 0;
    else if (attempt >= 1) goto internal;
  }
  struct box *taken = use_warm ? &ready_warm : &ready;
  struct box b = *taken;
  taken->pid = -1;
  taken->ctl = -1;
  taken->mnt = -1;
  r.pid = b.pid;

  int rc = cgroup_set_limits(&b.cg, in.memory, in.processes);
  if (rc < 0) {
    snprintf(err, sizeof err, "set cgroup limits: %s", strerror(-rc));
    box_discard(&b);
    goto internal;
  }
  int pin[2], pout[2], perr[2];
  if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) {
    snprintf(err, sizeof err, "pipe: %s", strerror(errno));
    box_discard(&b);
    goto internal;
  }
  int ws = workspace_clone_fd();
  if (ws < 0) {
    snprintf(err, sizeof err, "clone workspace: %s", strerror(-ws));
    close(pin[0]), close(pin[1]), close(pout[0]), close(pout[1]), close(perr[0]), close(perr[1]);
    box_discard(&b);
    goto internal;
  }
  struct run_spec spec = {.cpu_ms = in.cpu_ms,
                          .file_size = in.file_size,
                          .open_files = in.open_files,
                          .stack = in.stack,
                          .tmp_bytes = in.tmp,
                          .argc = in.argc,
                          .envc = in.envc,
                          .blob_len = (uint32_t)in.blob_len};
  int pass[4] = {ws, pin[0], pout[1], perr[1]};

  r.start = now_ns();
  ssize_t sent = send_with_fds(b.ctl, &spec, sizeof spec, pass, 4);
  int send_ok = sent == (ssize_t)sizeof spec && write_all(b.ctl, in.blob, in.blob_len) == 0;
  close(ws), close(pin[0]), close(pout[1]), close(perr[1]);
  free(in.blob);
  out.fd = pout[0];
  errs.fd = perr[0];
  int in_fd = pin[1];
  fcntl(out.fd, F_SETFL, O_NONBLOCK);
  fcntl(errs.fd, F_SETFL, O_NONBLOCK);
  fcntl(in_fd, F_SETFL, O_NONBLOCK);
  size_t in_off = 0;
  if (in.stdin_len == 0) close(in_fd), in_fd = -1;
  if (!send_ok) {
    snprintf(err, sizeof err, "hand the run to the sandbox: %s", strerror(errno));
    kill_run(&r, KILL_INTERNAL);
  } else if (in.next && ready.pid < 0) {
    /* Another run of this job follows (a compile's program). Its box is built now, while this run goes
     * on, instead of after this run's answer: there the helper spent about 4 ms closing this box's mounts
     * and starting the next one, and the new box its own setup, while the next run waited. A failure here
     * is left to the next run, which prepares its box itself and reports the error. */
    char prepare_err[256];
    box_prepare(0, prepare_err, sizeof prepare_err);
  }

  /* CPU is polled from the cgroup: the next check is when the budget could run out at full parallelism. */
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (ncpu < 1) ncpu = 1;
  uint64_t next_cpu_check = r.start + r.limit_cpu_ns / (uint64_t)ncpu;
  int ctl_open = 1;
  while (ctl_open || out.fd >= 0 || errs.fd >= 0) {
    struct pollfd pf[5];
    int n = 0, i_ctl = -1, i_out = -1, i_err = -1, i_in = -1, i_cmd = -1;
    if (ctl_open) pf[i_ctl = n++] = (struct pollfd){b.ctl, POLLIN, 0};
    if (out.fd >= 0) pf[i_out = n++] = (struct pollfd){out.fd, POLLIN, 0};
    if (errs.fd >= 0) pf[i_err = n++] = (struct pollfd){errs.fd, POLLIN, 0};
    if (in_fd >= 0) pf[i_in = n++] = (struct pollfd){in_fd, POLLOUT, 0};
    pf[i_cmd = n++] = (struct pollfd){0, POLLIN, 0};

    uint64_t now = now_ns();
    uint64_t wall_deadline = r.start + r.limit_wall_ns;
    uint64_t wake = next_cpu_check < wall_deadline ? next_cpu_check : wall_deadline;
    int timeout = -1;
    if (!r.killed) timeout = wake <= now ? 0 : (int)((wake - now + 999999) / 1000000);
    int pr = poll(pf, (nfds_t)n, timeout);
    if (pr < 0 && errno != EINTR) die("poll: %s", strerror(errno));

    now = now_ns();
    if (!r.killed && now >= wall_deadline) kill_run(&r, KILL_WALL);
    if (!r.killed && now >= next_cpu_check) {
      uint64_t used = cgroup_cpu_ns(&b.cg);
      if (used >= r.limit_cpu_ns) {
        kill_run(&r, KILL_CPU);
      } else {
        uint64_t step = (r.limit_cpu_ns - used) / (uint64_t)ncpu;
        next_cpu_check = now + (step < 1000000 ? 1000000 : step);
      }
    }
    if (pr <= 0) continue;
    if (i_out >= 0 && pf[i_out].revents) pump_output(&r, &out);
    if (i_err >= 0 && pf[i_err].revents) pump_output(&r, &errs);
    if (i_in >= 0 && pf[i_in].revents) {
      if (pf[i_in].revents & (POLLERR | POLLHUP)) {
        close(in_fd), in_fd = -1;
      } else {
        ssize_t w = write(in_fd, in.stdin_data + in_off, in.stdin_len - in_off);
        if (w > 0) in_off += (size_t)w;
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || in_off == in.stdin_len) close(in_fd), in_fd = -1;
      }
    }
    if (i_ctl >= 0 && pf[i_ctl].revents) {
      struct box_msg m;
      int rr = read_exact(b.ctl, &m, sizeof m);
      if (rr == 1 && m.kind == BOX_STATUS) {
        r.end_kind = m.a;
        r.end_code = m.b;
      } else if (rr == 1 && m.kind == BOX_SETUP_FAILED) {
        snprintf(err, sizeof err, "sandbox setup failed at step %s: %s", step_name(m.b), strerror(m.a));
        kill_run(&r, KILL_INTERNAL);
      } else {
        ctl_open = 0;
        /* The box's init is exiting: every process of the run is being killed with it. */
        kill(b.pid, SIGKILL);
      }
    }
    if (pf[i_cmd].revents) {
      if (!fill_input()) kill_run(&r, KILL_CANCEL), exit(0);
      unsigned char type, *payload;
      size_t flen;
      while (take_frame(&type, &payload, &flen)) {
        if (type == REQ_CANCEL) kill_run(&r, KILL_CANCEL);
        else die("protocol error: request '%c' during a run", type);
        drop_frame();
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
  while (waitpid(b.pid, NULL, 0) < 0 && errno == EINTR) {
  }
  uint64_t wall = now_ns() - r.start;
  uint64_t cpu = cgroup_cpu_ns(&b.cg), mem = cgroup_peak_memory(&b.cg), oom = cgroup_oom_kills(&b.cg);
  close(b.ctl);
  send_done(&r, cpu, wall, mem, oom, &out, &errs, use_warm, err[0] ? err : NULL);
  /* Unmounting the box's tree takes about a millisecond of kernel time. Every process of the run is gone,
   * so nothing can reach those mounts any more; with our reference the box's exit left that work to this
   * close, after the answer, rather than doing it while the executor waited for the run to end. */
  if (b.mnt >= 0) close(b.mnt);
  /* After the answer: the next box and the kernel's cgroup teardown are off the caller's clock. A failed
   * preparation is retried, and reported, at the next run. */
  if (ready.pid < 0) box_prepare(0, err, sizeof err);
  if (warm.pid > 0 && ready_warm.pid < 0) box_prepare(1, err, sizeof err);
  retire_cgroup(&b.cg);
  return;

internal:
  r.kill_reason = KILL_INTERNAL;
  send_done(&r, 0, 0, 0, 0, &out, &errs, 0, err);
}

/* ---------- main loop ---------- */

static void handle(unsigned char type, const unsigned char *p, size_t len) {
  char err[512] = "";
  switch (type) {
    case REQ_WORKSPACE:
      if (len != 8) return send_error(ERR_INVALID, "workspace request needs a u64 size");
      if (workspace_create(get_u64(p), err, sizeof err) < 0) return send_error(ERR_SYSTEM, err);
      return send_ok();
    case REQ_FILE: {
      if (len < 8) return send_error(ERR_INVALID, "malformed file request");
      uint32_t mode = get_u32(p), plen = get_u32(p + 4);
      if (plen == 0 || plen > 4096 || plen > len - 8) return send_error(ERR_INVALID, "malformed file path");
      char path[4097];
      memcpy(path, p + 8, plen);
      path[plen] = '\0';
      if (strlen(path) != plen) return send_error(ERR_INVALID, "file path contains a NUL byte");
      int rc = workspace_put(path, mode, p + 8 + plen, len - 8 - plen, err, sizeof err);
      if (rc < 0) return send_error(-rc, err);
      return send_ok();
    }
    case REQ_RUN:
      return handle_run(p, len);
    case REQ_SNAPSHOT: {
      if (len != 8) return send_error(ERR_INVALID, "snapshot request needs a u64 size");
      int rc = workspace_snapshot(get_u64(p), 1, err, sizeof err);
      if (rc < 0) return send_error(-rc, err);
      return send_ok();
    }
    case REQ_RELEASE:
      workspace_release();
      return send_ok();
    case REQ_WARM:
      return handle_warm(p, len);
    case REQ_CANCEL:
      return; /* the run it meant has already ended; cancels never get an answer */
    default:
      die("protocol error: unknown request type 0x%02x", type);
  }
}

int main(int argc, char **argv) {
  config_parse(argc, argv);
  main_argc = argc;
  main_argv = argv;
  /* The warm interpreter's library sits beside us. */
  ssize_t self = readlink("/proc/self/exe", warm_lib, sizeof warm_lib - 32);
  if (self > 0) {
    warm_lib[self] = '\0';
    char *slash = strrchr(warm_lib, '/');
    strcpy(slash ? slash + 1 : warm_lib, "libremcode-warm.so");
    lib_fd = open(warm_lib, O_RDONLY | O_CLOEXEC);
    lib_errno = errno;
  }
  if (geteuid() != 0) die("must run as root: it creates namespaces, mounts and cgroups");
  /* If the executor dies, so do we, and our boxes follow through their own death signal. */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  signal(SIGPIPE, SIG_IGN);

  config_load_host();
  if (caps_clear_inherited() < 0) die("clear inheritable capabilities: %s", strerror(errno));

  /* A private mount namespace keeps workspaces invisible to the host and gone when we exit.
   * A network namespace of the slot's own holds only loopback. Its runs share it one after another:
   * creating one per run costs the kernel milliseconds of teardown work per run, and nothing a run
   * does there outlives it (sockets close with their processes; addresses, routes and sysctls need
   * capabilities the programs do not have). */
  if (unshare(CLONE_NEWNS | CLONE_NEWNET) < 0)
    die("unshare(CLONE_NEWNS | CLONE_NEWNET): %s (needs CAP_SYS_ADMIN)", strerror(errno));
  int lo = loopback_up();
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die("make mounts private: %s", strerror(errno));
  if (mount("remcode-staging", STAGING_PATH, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,mode=0700") < 0)
    die("mount staging tmpfs: %s", strerror(errno));
  if (mkdir(WORKSPACE_PATH, 0700) < 0) die("mkdir %s: %s", WORKSPACE_PATH, strerror(errno));

  char err[1024] = "";
  int version = cgroup_detect(err, sizeof err);
  if (!version) die("%s", err);
  cgroup_sweep_stale();

  if (box_prepare(0, err, sizeof err) < 0) die("%s", err);
  struct box_msg m;
  if (read_exact(ready.ctl, &m, sizeof m) != 1) die("the first sandbox died during setup");
  if (m.kind == BOX_SETUP_FAILED) die("sandbox setup failed at step %s: %s", step_name(m.b), strerror(m.a));
  if (m.kind == BOX_READY && m.a != PROC_STRICT)
    fprintf(stderr,
            "remcode-sandboxd: slot %d: this kernel cannot mount /proc with subset=pid,hidepid=invisible (Linux 5.8); "
            "boxes get %s and masked paths instead\n",
            cfg.slot, m.a == PROC_HIDEPID ? "hidepid=2" : "a /proc that shows every process of the box");
  unsigned char info[2] = {(unsigned char)version, (unsigned char)(lo ? 1 : 0)};
  /* That box proved the setup works; it is replaced so that every box starts unread. */
  box_discard(&ready);
  if (box_prepare(0, err, sizeof err) < 0) die("%s", err);
  send_frame(RES_READY, info, sizeof info, NULL, 0);

  for (;;) {
    unsigned char type, *payload;
    size_t len;
    while (take_frame(&type, &payload, &len)) {
      /* A run reads further frames (CANCEL) into the input buffer, so it must not point into it. */
      unsigned char *copy = malloc(len ? len : 1);
      if (!copy) die("out of memory");
      memcpy(copy, payload, len);
      drop_frame();
      handle(type, copy, len);
      free(copy);
    }
    remove_retired_while_idle();
    if (!fill_input()) break;
  }
  box_discard(&ready);
  warm_stop();
  workspace_release();
  while (retired_count > 0) cgroup_remove(&retired[--retired_count]);
  return 0;
}
