/*
 * The job's workspace: a size-capped tmpfs mounted at WORKSPACE_PATH inside the helper's private mount
 * namespace, where no sandboxed process ever lives. Boxes receive a detached clone of it at /box.
 *
 * Files are only written before the first run, into a filesystem nothing else has touched, and always
 * with O_EXCL|O_NOFOLLOW relative to directory fds we created. Snapshots read with O_NOFOLLOW|O_NONBLOCK
 * and skip everything that is not a regular file or directory, so a planted symlink, FIFO or device
 * never makes the host open something else or block. Release is an unmount: nothing is deleted path by
 * path, so there is no tree walk for sandboxed code to race.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "protocol.h"
#include "sandboxd.h"

#define RC_OPEN_TREE_CLONE 1
#define RC_AT_RECURSIVE 0x8000
#define MAX_DEPTH 32
#define MAX_ENTRIES 10000

static int ws_fd = -1; /* O_PATH of the workspace root */

int workspace_present(void) { return ws_fd >= 0; }

void workspace_release(void) {
  if (ws_fd >= 0) {
    close(ws_fd);
    ws_fd = -1;
  }
  umount2(WORKSPACE_PATH, MNT_DETACH);
}

int workspace_create(uint64_t size_bytes, char *err, size_t errlen) {
  workspace_release();
  char opts[128];
  /* nr_inodes caps inode floods independently of the byte size; the root belongs to the slot's uid. */
  snprintf(opts, sizeof opts, "size=%" PRIu64 ",nr_inodes=16384,mode=0755,uid=%u,gid=%u", size_bytes,
           (unsigned)cfg.uid, (unsigned)cfg.gid);
  if (mount("remcode-box", WORKSPACE_PATH, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) {
    snprintf(err, errlen, "mount workspace: %s", strerror(errno));
    return -1;
  }
  ws_fd = open(WORKSPACE_PATH, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ws_fd < 0) {
    snprintf(err, errlen, "open workspace: %s", strerror(errno));
    return -1;
  }
  return 0;
}

int workspace_clone_fd(void) {
  int fd = (int)syscall(SYS_open_tree, AT_FDCWD, WORKSPACE_PATH, RC_OPEN_TREE_CLONE | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

static int valid_segment(const char *s, size_t len) {
  if (len == 0 || len > 255) return 0;
  if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.')) return 0;
  for (size_t i = 0; i < len; i++)
    if (s[i] == '\0') return 0;
  return 1;
}

int workspace_put(const char *path, uint32_t mode, const unsigned char *data, size_t len, char *err,
                  size_t errlen) {
  if (ws_fd < 0) {
    snprintf(err, errlen, "no workspace");
    return -ERR_INVALID;
  }
  int dir = dup(ws_fd);
  if (dir < 0) {
    snprintf(err, errlen, "dup: %s", strerror(errno));
    return -ERR_SYSTEM;
  }
  const char *seg = path;
  for (;;) {
    const char *slash = strchr(seg, '/');
    size_t seglen = slash ? (size_t)(slash - seg) : strlen(seg);
    char name[256];
    if (!valid_segment(seg, seglen)) {
      close(dir);
      snprintf(err, errlen, "invalid path '%s'", path);
      return -ERR_INVALID;
    }
    memcpy(name, seg, seglen);
    name[seglen] = '\0';
    if (!slash) {
      int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      close(dir);
      if (fd < 0) {
        snprintf(err, errlen, "create '%s': %s", path, strerror(errno));
        return errno == EEXIST ? -ERR_INVALID : errno == ENOSPC ? -ERR_TOO_LARGE : -ERR_SYSTEM;
      }
      int rc = 0;
      if (write_all(fd, data, len) < 0) {
        rc = errno == ENOSPC ? -ERR_TOO_LARGE : -ERR_SYSTEM;
        snprintf(err, errlen, "write '%s': %s", path, strerror(errno));
      } else if (fchown(fd, cfg.uid, cfg.gid) < 0 || fchmod(fd, mode & 0777) < 0) {
        rc = -ERR_SYSTEM;
        snprintf(err, errlen, "chown '%s': %s", path, strerror(errno));
      }
      close(fd);
      return rc;
    }
    if (mkdirat(dir, name, 0755) == 0) {
      int d = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (d >= 0 && fchown(d, cfg.uid, cfg.gid) < 0) {
        close(d);
        d = -1;
      }
      close(dir);
      dir = d;
    } else if (errno == EEXIST) {
      int d = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      close(dir);
      dir = d;
    } else {
      close(dir);
      dir = -1;
    }
    if (dir < 0) {
      snprintf(err, errlen, "directory for '%s': %s", path, strerror(errno));
      return errno == ENOSPC ? -ERR_TOO_LARGE : -ERR_INVALID;
    }
    seg = slash + 1;
  }
}

struct snap {
  int out;
  uint64_t budget;
  int entries;
  char *err;
  size_t errlen;
};

static int send_file(struct snap *s, const char *rel, uint32_t mode, const unsigned char *data, size_t len) {
  size_t plen = strlen(rel);
  unsigned char head[13];
  put_u32(head, (uint32_t)(1 + 4 + 4 + plen + len));
  head[4] = RES_FILE;
  put_u32(head + 5, mode);
  put_u32(head + 9, (uint32_t)plen);
  if (write_all(s->out, head, sizeof head) < 0 || write_all(s->out, rel, plen) < 0 ||
      write_all(s->out, data, len) < 0)
    return -ERR_SYSTEM;
  return 0;
}

/*
 * Paths travel to the executor as text; a name that is not UTF-8 could not be placed again as it was
 * (and two such names could collapse into one), so snapshots leave such files, and directories with
 * everything in them, out. Strict UTF-8: the shortest form only (no overlong encodings, which decode to
 * the same name as a valid one), no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
 */
static int valid_utf8(const unsigned char *s) {
  while (*s) {
    unsigned lead = *s++;
    if (lead < 0x80) continue;
    int more;
    uint32_t cp, least;
    if (lead >= 0xc2 && lead <= 0xdf) more = 1, cp = lead & 0x1f, least = 0x80;
    else if (lead >= 0xe0 && lead <= 0xef) more = 2, cp = lead & 0x0f, least = 0x800;
    else if (lead >= 0xf0 && lead <= 0xf4) more = 3, cp = lead & 0x07, least = 0x10000;
    else return 0; /* a continuation byte, C0/C1 (always overlong) or F5..FF (beyond U+10FFFF) */
    for (int i = 0; i < more; i++, s++) {
      if ((*s & 0xc0) != 0x80) return 0; /* also stops at the terminating NUL */
      cp = (cp << 6) | (*s & 0x3f);
    }
    if (cp < least || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  }
  return 1;
}

static int walk(struct snap *s, int dir, const char *prefix, int depth) {
  if (depth > MAX_DEPTH) {
    snprintf(s->err, s->errlen, "workspace nests deeper than %d directories", MAX_DEPTH);
    return -ERR_TOO_LARGE;
  }
  int dfd = dup(dir);
  DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
  if (!d) {
    if (dfd >= 0) close(dfd);
    snprintf(s->err, s->errlen, "read directory: %s", strerror(errno));
    return -ERR_SYSTEM;
  }
  int rc = 0;
  struct dirent *e;
  while (rc == 0 && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (!valid_utf8((const unsigned char *)e->d_name)) continue;
    if (++s->entries > MAX_ENTRIES) {
      snprintf(s->err, s->errlen, "workspace holds more than %d entries", MAX_ENTRIES);
      rc = -ERR_TOO_LARGE;
      break;
    }
    char rel[4096];
    if ((size_t)snprintf(rel, sizeof rel, "%s%s%s", prefix, prefix[0] ? "/" : "", e->d_name) >= sizeof rel) continue;
    int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) continue; /* a symlink (ELOOP) or something we may not open: not part of a snapshot */
    struct stat st;
    if (fstat(fd, &st) < 0) {
      close(fd);
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      rc = walk(s, fd, rel, depth + 1);
    } else if (S_ISREG(st.st_mode)) {
      if ((uint64_t)st.st_size > s->budget) {
        snprintf(s->err, s->errlen, "workspace is larger than the snapshot limit");
        rc = -ERR_TOO_LARGE;
      } else {
        size_t size = (size_t)st.st_size;
        unsigned char *buf = malloc(size ? size : 1);
        ssize_t got = 0;
        if (buf) {
          while ((size_t)got < size) {
            ssize_t n = read(fd, buf + got, size - (size_t)got);
            if (n <= 0) break;
            got += n;
          }
          s->budget -= (uint64_t)got;
          rc = send_file(s, rel, st.st_mode & 0777, buf, (size_t)got);
          free(buf);
        } else {
          rc = -ERR_SYSTEM;
        }
      }
    }
    close(fd);
  }
  closedir(d);
  return rc;
}

int workspace_snapshot(uint64_t max_bytes, int out_fd, char *err, size_t errlen) {
  if (ws_fd < 0) {
    snprintf(err, errlen, "no workspace");
    return -ERR_INVALID;
  }
  int root = openat(ws_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) {
    snprintf(err, errlen, "open workspace: %s", strerror(errno));
    return -ERR_SYSTEM;
  }
  struct snap s = {.out = out_fd, .budget = max_bytes, .entries = 0, .err = err, .errlen = errlen};
  int rc = walk(&s, root, "", 0);
  close(root);
  return rc;
}
