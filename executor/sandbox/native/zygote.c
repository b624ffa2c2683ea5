/*
 * libremcode-warm.so: turns an interpreter that has already started into a source of boxes.
 *
 * The helper starts the interpreter (as root, in its own namespaces, with exactly the environment its
 * runs get) and the interpreter calls rc_warm_serve. From then on the interpreter never runs Python (or
 * whatever it is) of its own: it waits for the helper's requests, each carrying a box's control socket,
 * and clones a box for each, straight into new namespaces and as the helper's child (CLONE_PARENT), so
 * the helper supervises it exactly like a box it forked itself. The box builds its root, waits for its
 * run and forks the program; the program drops every privilege as a cold one would before execve, and
 * rc_warm_serve returns in it alone. The program thus skips the interpreter's start-up: its memory is a
 * copy-on-write image of a process that has never seen a job.
 *
 * Protocol on reqfd (a Unix stream socket): the helper sends one byte with the box's control socket as
 * SCM_RIGHTS; we answer with an int32: the box's pid, or -errno. We send one byte 'Y' once ready.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandboxd.h"

static struct sigaction dispositions[NSIG];

static int receive_ctl(int reqfd) {
  char byte;
  int fd;
  ssize_t n = recv_with_fds(reqfd, &byte, 1, &fd, 1, 0);
  if (n == 0 || (n < 0 && errno != EPROTO)) _exit(0); /* the helper is gone */
  return n == 1 ? fd : -1;
}

/* argv: the helper's own options (see config.c), argv[0] ignored. Returns only in a program. */
RC_EXPORT const struct warm_program *rc_warm_serve(int reqfd, int argc, char **argv) {
  config_parse(argc, argv);
  config_load_host();
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (getppid() == 1) _exit(0); /* the helper died before we got here */
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, NULL, &dispositions[sig]);
  if (write_all(reqfd, "Y", 1) < 0) _exit(0);
  for (;;) {
    int ctl = receive_ctl(reqfd);
    int32_t answer;
    if (ctl < 0) {
      answer = -EPROTO;
    } else {
      /* The same namespaces as the helper's own boxes (no CLONE_NEWNET: the slot's network is shared). */
      long pid = syscall(SYS_clone, CLONE_PARENT | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD,
                         NULL, NULL, NULL, NULL);
      if (pid == 0) {
        close(reqfd);
        return box_main_warm(ctl, dispositions);
      }
      answer = pid < 0 ? -errno : (int32_t)pid;
      close(ctl);
    }
    if (write_all(reqfd, &answer, sizeof answer) < 0) _exit(0);
  }
}
