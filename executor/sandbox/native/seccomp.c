/*
 * The seccomp filter installed in every sandboxed process just before execve. It is a deny list: the
 * language runtimes we host use a wide and changing set of system calls, while the calls below are the
 * kernel's large, rarely needed attack surface (io_uring, bpf, perf, userfaultfd, keyrings), or would
 * let a process rearrange its own isolation (mount, namespaces, ptrace) or touch the machine (clock,
 * modules, reboot). Any ABI other than native x86_64 (int 0x80, x32) kills the process: filters are
 * written per ABI and a second ABI is a second, unfiltered syscall table.
 *
 * Sockets are the exception, an allow list: every address family and protocol is kernel code, and many
 * (AF_VSOCK, which is not namespaced and reaches the host or hypervisor; AF_ALG, TIPC, RDS, SCTP, DCCP,
 * which load their modules on first use) are reachable by anyone who may call socket(). The runtimes we
 * host need only Unix sockets and TCP and UDP over IPv4 and IPv6. Netlink is not among them: every
 * language's hello world and stdin echo run with it denied (glibc's address lookups fall back when a
 * netlink socket fails), and NETLINK_KOBJECT_UEVENT would let a program watch the host's devices.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>

#include "sandboxd.h"

#if !defined(__x86_64__)
#error "remcode-sandboxd's seccomp filter is written for x86_64 only"
#endif

#define X32_SYSCALL_BIT 0x40000000u

/* x86_64 numbers, spelled out so that an old libc's headers cannot silently drop an entry. */
static const unsigned denied_eperm[] = {
    101, /* ptrace */
    103, /* syslog */
    134, /* uselib */
    139, /* sysfs */
    153, /* vhangup */
    155, /* pivot_root */
    156, /* _sysctl */
    159, /* adjtimex */
    161, /* chroot */
    163, /* acct */
    164, /* settimeofday */
    165, /* mount */
    166, /* umount2 */
    167, /* swapon */
    168, /* swapoff */
    169, /* reboot */
    170, /* sethostname */
    171, /* setdomainname */
    172, /* iopl */
    173, /* ioperm */
    174, /* create_module */
    175, /* init_module */
    176, /* delete_module */
    177, /* get_kernel_syms */
    178, /* query_module */
    179, /* quotactl */
    180, /* nfsservctl */
    212, /* lookup_dcookie */
    227, /* clock_settime */
    246, /* kexec_load */
    248, /* add_key */
    249, /* request_key */
    250, /* keyctl */
    272, /* unshare */
    298, /* perf_event_open */
    300, /* fanotify_init */
    303, /* name_to_handle_at */
    304, /* open_by_handle_at */
    305, /* clock_adjtime */
    308, /* setns */
    310, /* process_vm_readv */
    311, /* process_vm_writev */
    312, /* kcmp */
    313, /* finit_module */
    320, /* kexec_file_load */
    321, /* bpf */
    323, /* userfaultfd */
    428, /* open_tree */
    429, /* move_mount */
    430, /* fsopen */
    431, /* fsconfig */
    432, /* fsmount */
    433, /* fspick */
    438, /* pidfd_getfd */
    440, /* process_madvise */
    442, /* mount_setattr */
    443, /* quotactl_fd */
    447, /* memfd_secret */
    457, /* statmount */
    458, /* listmount */
    467, /* open_tree_attr */
    154, /* modify_ldt: a 16-bit segment table, only for Wine and DOS emulators; a history of kernel bugs */
};

/* ENOSYS rather than EPERM: runtimes probe these and fall back (glibc retries clone3 as clone). */
static const unsigned denied_enosys[] = {
    425, /* io_uring_setup */
    426, /* io_uring_enter */
    427, /* io_uring_register */
    435, /* clone3: its flags live in memory that a filter cannot inspect */
    278, /* vmsplice: user pages spliced into a pipe, a history of kernel bugs; callers fall back to write */
    /* NUMA placement: the boxes' cpusets decide where memory goes. ENOSYS reads as a kernel without NUMA,
     * which libnuma and the JVM handle by not using it. */
    237, /* mbind */
    238, /* set_mempolicy */
    239, /* get_mempolicy */
    256, /* migrate_pages */
    279, /* move_pages */
    450, /* set_mempolicy_home_node */
};

#define NR_CLONE 56
#define NR_SOCKET 41
#define NR_SOCKETPAIR 53
#define NR_PERSONALITY 135
#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

/* Spelled out for the same reason as the numbers above. */
#define RC_AF_UNIX 1
#define RC_AF_INET 2
#define RC_AF_INET6 10
#define RC_SOCK_STREAM 1
#define RC_SOCK_DGRAM 2
#define RC_SOCK_TYPE_MASK 0xf
#define RC_IPPROTO_TCP 6
#define RC_IPPROTO_UDP 17
#define RC_PER_LINUX 0u
#define RC_PER_QUERY 0xffffffffu

#define MAX_INSNS 256
/* Six instructions of ABI checks, two per denied call, 33 for the blocks with arguments. */
_Static_assert(6 + 2 * (sizeof denied_eperm + sizeof denied_enosys) / sizeof(unsigned) + 33 <= MAX_INSNS,
               "the seccomp filter outgrew its buffer");

/* The low 32 bits of an argument (socket's and personality's arguments are ints; the kernel ignores the
 * rest, so the filter must too). */
#define ARG_LO(i) (offsetof(struct seccomp_data, args[i]))

int seccomp_install(void) {
  struct sock_filter f[MAX_INSNS];
  unsigned n = 0;
#define EMIT(code, k, jt, jf) (f[n++] = (struct sock_filter){(unsigned short)(code), (jt), (jf), (k)})
#define RET_ERRNO(e) EMIT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA), 0, 0)
#define RET_ALLOW() EMIT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0)

  EMIT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  EMIT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
  EMIT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
  EMIT(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1);
  EMIT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);

  for (size_t i = 0; i < sizeof denied_eperm / sizeof denied_eperm[0]; i++) {
    EMIT(BPF_JMP | BPF_JEQ | BPF_K, denied_eperm[i], 0, 1);
    RET_ERRNO(EPERM);
  }
  for (size_t i = 0; i < sizeof denied_enosys / sizeof denied_enosys[0]; i++) {
    EMIT(BPF_JMP | BPF_JEQ | BPF_K, denied_enosys[i], 0, 1);
    RET_ERRNO(ENOSYS);
  }

  /* socket(family, type, protocol): Unix sockets of any type; IPv4 and IPv6 only as TCP or UDP, asked
   * for by type (protocol 0) or by name. Raw sockets, SCTP and DCCP are inet families' other protocols.
   * Each block ends in a return, so a call it does not match finds the syscall number still loaded. */
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, NR_SOCKET, 0, 16);
  EMIT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0), 0, 0);          /* 0 */
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, RC_AF_UNIX, 13, 0);       /* 1 -> 15 */
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, RC_AF_INET, 2, 0);        /* 2 -> 5 */
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, RC_AF_INET6, 1, 0);       /* 3 -> 5 */
  RET_ERRNO(EPERM);                                         /* 4 */
  EMIT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2), 0, 0);          /* 5 */
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, 0, 3, 0);                 /* 6 -> 10 */
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, RC_IPPROTO_TCP, 2, 0);    /* 7 -> 10 */
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, RC_IPPROTO_UDP, 1, 0);    /* 8 -> 10 */
  RET_ERRNO(EPERM);                                         /* 9 */
  EMIT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1), 0, 0);          /* 10 */
  EMIT(BPF_ALU | BPF_AND | BPF_K, RC_SOCK_TYPE_MASK, 0, 0); /* 11: without SOCK_NONBLOCK, SOCK_CLOEXEC */
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, RC_SOCK_STREAM, 2, 0);    /* 12 -> 15 */
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, RC_SOCK_DGRAM, 1, 0);     /* 13 -> 15 */
  RET_ERRNO(EPERM);                                         /* 14 */
  RET_ALLOW();                                              /* 15 */

  /* socketpair: Unix only (TIPC has pairs too). */
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, NR_SOCKETPAIR, 0, 4);
  EMIT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0), 0, 0);
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, RC_AF_UNIX, 1, 0);
  RET_ERRNO(EPERM);
  RET_ALLOW();

  /* personality: reading it, or setting plain PER_LINUX; no flags (ADDR_NO_RANDOMIZE turns off ASLR,
   * READ_IMPLIES_EXEC makes every mapping executable), no other execution domain. */
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, NR_PERSONALITY, 0, 5);
  EMIT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0), 0, 0);
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, RC_PER_QUERY, 2, 0);
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, RC_PER_LINUX, 1, 0);
  RET_ERRNO(EPERM);
  RET_ALLOW();

  /* clone is needed for fork and threads, but never with namespace flags (low 32 bits of arg 0). */
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, NR_CLONE, 0, 3);
  EMIT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0), 0, 0);
  EMIT(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS, 0, 1);
  RET_ERRNO(EPERM);
  RET_ALLOW();
#undef RET_ALLOW
#undef RET_ERRNO
#undef EMIT

  struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}
