/*
 * The seccomp filter installed in every sandboxed process just before execve. It is a deny list: the
 * language runtimes we host use a wide and changing set of system calls, while the calls below are the
 * kernel's large, rarely needed attack surface (io_uring, bpf, perf, userfaultfd, keyrings), or would
 * let a process rearrange its own isolation (mount, namespaces, ptrace) or touch the machine (clock,
 * modules, reboot). Any ABI other than native x86_64 (int 0x80, x32) kills the process: filters are
 * written per ABI and a second ABI is a second, unfiltered syscall table.
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
};

/* ENOSYS rather than EPERM: runtimes probe these and fall back (glibc retries clone3 as clone). */
static const unsigned denied_enosys[] = {
    425, /* io_uring_setup */
    426, /* io_uring_enter */
    427, /* io_uring_register */
    435, /* clone3: its flags live in memory that a filter cannot inspect */
};

#define NR_CLONE 56
#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

#define MAX_INSNS 256

int seccomp_install(void) {
  struct sock_filter f[MAX_INSNS];
  unsigned n = 0;
#define EMIT(code, k, jt, jf) (f[n++] = (struct sock_filter){(unsigned short)(code), (jt), (jf), (k)})

  EMIT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  EMIT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
  EMIT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
  EMIT(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1);
  EMIT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);

  for (size_t i = 0; i < sizeof denied_eperm / sizeof denied_eperm[0]; i++) {
    EMIT(BPF_JMP | BPF_JEQ | BPF_K, denied_eperm[i], 0, 1);
    EMIT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA), 0, 0);
  }
  for (size_t i = 0; i < sizeof denied_enosys / sizeof denied_enosys[0]; i++) {
    EMIT(BPF_JMP | BPF_JEQ | BPF_K, denied_enosys[i], 0, 1);
    EMIT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA), 0, 0);
  }
  /* clone is needed for fork and threads, but never with namespace flags (low 32 bits of arg 0). */
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, NR_CLONE, 0, 3);
  EMIT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]), 0, 0);
  EMIT(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS, 0, 1);
  EMIT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA), 0, 0);
  EMIT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
#undef EMIT

  struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}
