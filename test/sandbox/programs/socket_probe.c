/*
 * Asks for a socket of every address family and protocol the sandbox should refuse, and of the few it
 * should allow, and tries to bind a netlink socket to the kernel's device events. Prints one
 * "name: result" line each: "ok" or the errno name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Numbers rather than names: a libc's headers may lack a family that the kernel has. */
#define F_TIPC 30
#define F_RDS 21
#define F_ALG 38
#define F_VSOCK 40
#define F_KCM 41
#define F_PACKET 17
#define F_BLUETOOTH 31
#define F_CAN 29
#define F_XDP 44
#define P_SCTP 132
#define P_DCCP 33
#define T_DCCP 6
#define P_MPTCP 262
#define P_UDPLITE 136

static void try_socket(const char *name, int family, int type, int protocol) {
  int fd = socket(family, type | SOCK_CLOEXEC, protocol);
  printf("%s: %s\n", name, fd >= 0 ? "ok" : strerrorname_np(errno));
  if (fd >= 0) close(fd);
}

static void try_pair(const char *name, int family, int type) {
  int sv[2];
  int rc = socketpair(family, type | SOCK_CLOEXEC, 0, sv);
  printf("%s: %s\n", name, rc == 0 ? "ok" : strerrorname_np(errno));
  if (rc == 0) close(sv[0]), close(sv[1]);
}

int main(void) {
  try_socket("unix stream", AF_UNIX, SOCK_STREAM, 0);
  try_socket("unix dgram", AF_UNIX, SOCK_DGRAM, 0);
  try_socket("unix seqpacket", AF_UNIX, SOCK_SEQPACKET, 0);
  try_socket("tcp", AF_INET, SOCK_STREAM, 0);
  try_socket("tcp by name", AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP);
  try_socket("udp", AF_INET, SOCK_DGRAM, 0);
  try_socket("tcp6", AF_INET6, SOCK_STREAM, 0);
  try_socket("udp6 by name", AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
  try_pair("unix pair", AF_UNIX, SOCK_STREAM);

  try_socket("vsock", F_VSOCK, SOCK_STREAM, 0);
  try_socket("alg", F_ALG, SOCK_SEQPACKET, 0);
  try_socket("tipc", F_TIPC, SOCK_RDM, 0);
  try_socket("rds", F_RDS, SOCK_SEQPACKET, 0);
  try_socket("kcm", F_KCM, SOCK_DGRAM, 0);
  try_socket("packet", F_PACKET, SOCK_DGRAM, 0);
  try_socket("bluetooth", F_BLUETOOTH, SOCK_STREAM, 0);
  try_socket("can", F_CAN, SOCK_RAW, 1);
  try_socket("xdp", F_XDP, SOCK_RAW, 0);
  try_socket("sctp", AF_INET, SOCK_STREAM, P_SCTP);
  try_socket("sctp seqpacket", AF_INET6, SOCK_SEQPACKET, 0);
  try_socket("dccp", AF_INET, T_DCCP, P_DCCP);
  try_socket("dccp by type", AF_INET6, T_DCCP, 0);
  try_socket("mptcp", AF_INET, SOCK_STREAM, P_MPTCP);
  try_socket("udplite", AF_INET, SOCK_DGRAM, P_UDPLITE);
  try_socket("icmp ping", AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
  try_socket("netlink route", AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  try_pair("tipc pair", F_TIPC, SOCK_SEQPACKET);
  try_pair("inet pair", AF_INET, SOCK_STREAM);

  /* The kernel's device events: readable by anyone who can bind to group 1. */
  int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
  if (nl < 0) {
    printf("uevent bind: %s\n", strerrorname_np(errno));
  } else {
    struct sockaddr_nl addr;
    memset(&addr, 0, sizeof addr);
    addr.nl_family = AF_NETLINK;
    addr.nl_groups = 1;
    int rc = bind(nl, (struct sockaddr *)&addr, sizeof addr);
    printf("uevent bind: %s\n", rc == 0 ? "ok" : strerrorname_np(errno));
    close(nl);
  }
  return 0;
}
