#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sandboxd.h"

/* Fatal setup errors go to stderr, which the executor captures and shows in its error message. */
void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("remcode-sandboxd: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(70);
}

int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int read_exact(int fd, void *buf, size_t len) {
  char *p = buf;
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, p + got, len - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) return got == 0 ? 0 : -1;
    got += (size_t)n;
  }
  return 1;
}

/* Control-message room for the most descriptors any message here carries (a run's four). */
#define MAX_PASSED_FDS 4

/* One message of `len` bytes with room for `nfds` descriptors, for sendmsg and recvmsg alike. It points
 * into itself, so it is set up where it stays: on the caller's stack. */
struct fd_message {
  union {
    char buf[CMSG_SPACE(sizeof(int) * MAX_PASSED_FDS)];
    struct cmsghdr align;
  } control;
  struct iovec iov;
  struct msghdr msg;
};

static int fd_message_init(struct fd_message *m, void *data, size_t len, int nfds) {
  if (nfds < 1 || nfds > MAX_PASSED_FDS) {
    errno = EINVAL;
    return -1;
  }
  memset(m, 0, sizeof *m);
  m->iov = (struct iovec){data, len};
  m->msg.msg_iov = &m->iov;
  m->msg.msg_iovlen = 1;
  m->msg.msg_control = m->control.buf;
  m->msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
  return 0;
}

ssize_t send_with_fds(int sock, const void *data, size_t len, const int *fds, int nfds) {
  struct fd_message m;
  if (fd_message_init(&m, (void *)data, len, nfds) < 0) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&m.msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
  memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
  ssize_t n;
  do n = sendmsg(sock, &m.msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n;
}

ssize_t recv_with_fds(int sock, void *data, size_t len, int *fds, int nfds, int flags) {
  struct fd_message m;
  if (fd_message_init(&m, data, len, nfds) < 0) return -1;
  ssize_t n;
  do n = recvmsg(sock, &m.msg, flags | MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return n;
  struct cmsghdr *c = CMSG_FIRSTHDR(&m.msg);
  int complete = c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
                 c->cmsg_len == CMSG_LEN(sizeof(int) * (size_t)nfds) && !(m.msg.msg_flags & MSG_CTRUNC);
  if (complete) {
    memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)nfds);
    return n;
  }
  /* Whatever did arrive is not kept open. */
  if (c && c->cmsg_type == SCM_RIGHTS) {
    size_t got = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int stray[MAX_PASSED_FDS];
    memcpy(stray, CMSG_DATA(c), sizeof(int) * (got < MAX_PASSED_FDS ? got : MAX_PASSED_FDS));
    for (size_t i = 0; i < got && i < MAX_PASSED_FDS; i++) close(stray[i]);
  }
  errno = EPROTO;
  return -1;
}

uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  int rc = 0;
  if (write(fd, text, strlen(text)) < 0) rc = -errno;
  close(fd);
  return rc;
}

int read_file(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  size_t got = 0;
  while (got + 1 < cap) {
    ssize_t n = read(fd, buf + got, cap - 1 - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      return -e;
    }
    if (n == 0) break;
    got += (size_t)n;
  }
  buf[got] = '\0';
  close(fd);
  return (int)got;
}

uint64_t get_u64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

uint32_t get_u32(const unsigned char *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

void put_u64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

void put_u32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
