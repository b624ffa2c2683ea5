/*
 * Plants, in /box, everything that would hurt a host that later reads the workspace by path: symlinks to
 * host secrets, to /, to /dev/zero and to /proc/self/environ, a FIFO, a unix socket, a hardlinked copy,
 * and tries hardlinks to files outside /box.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static const char *res(int rc) { return rc == 0 ? "ok" : strerrorname_np(errno); }

int main(void) {
  int fd = open("/box/regular.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  write(fd, "regular\n", 8);
  close(fd);
  mkdir("/box/sub", 0755);
  const char *links[][2] = {
      {"/etc/shadow", "/box/shadow-link"},          {"/etc/passwd", "/box/passwd-link"},
      {"/", "/box/root-link"},                      {"/proc/self/environ", "/box/environ-link"},
      {"/dev/zero", "/box/zero-link"},              {"../../../../../etc", "/box/sub/etc-link"},
      {"/root/.ssh/id_rsa", "/box/sub/key-link"},
  };
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) symlink(links[i][0], links[i][1]);
  printf("mkfifo: %s\n", res(mkfifo("/box/fifo", 0644)));
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX, .sun_path = "/box/sock"};
  printf("bind socket: %s\n", res(bind(s, (struct sockaddr *)&addr, sizeof addr)));
  printf("hardlink inside /box: %s\n", res(link("/box/regular.txt", "/box/sub/hardlink.txt")));
  printf("hardlink /etc/passwd: %s\n", res(link("/etc/passwd", "/box/passwd-hard")));
  printf("hardlink /usr/bin/su: %s\n", res(link("/usr/bin/su", "/box/su-hard")));
  return 0;
}
