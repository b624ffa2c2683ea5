/*
 * Calls one syscall named by argv[1] with arguments under which it would succeed, or fail with another
 * errno, if the seccomp filter let it through; prints the errno name or "ok".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mempolicy.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <stdio.h>
#include <string.h>
#include <sys/quota.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

struct probe {
  const char *name;
  long (*call)(void);
};

static long p_io_uring_setup(void) {
  static char params[120];
  return syscall(SYS_io_uring_setup, 8, params);
}
static long p_io_uring_enter(void) { return syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0); }
static long p_io_uring_register(void) { return syscall(SYS_io_uring_register, -1, 0, NULL, 0); }
static long p_bpf(void) {
  /* BPF_MAP_CREATE of a one-entry array. */
  unsigned int attr[16] = {2, 4, 4, 1};
  return syscall(SYS_bpf, 0, attr, sizeof attr);
}
static long p_perf_event_open(void) {
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_TASK_CLOCK;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}
static long p_userfaultfd(void) { return syscall(SYS_userfaultfd, O_CLOEXEC | 1 /* UFFD_USER_MODE_ONLY */); }
static long p_keyctl(void) { return syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 1); }
static long p_add_key(void) { return syscall(SYS_add_key, "user", "remcode", "x", 1, -2 /* process */); }
static long p_request_key(void) { return syscall(SYS_request_key, "user", "remcode", NULL, -2); }
static long p_mount(void) { return syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, NULL); }
static long p_umount2(void) { return syscall(SYS_umount2, "/tmp", 0); }
static long p_pivot_root(void) { return syscall(SYS_pivot_root, "/box", "/box"); }
static long p_fsopen(void) { return syscall(SYS_fsopen, "tmpfs", 0); }
static long p_fsmount(void) { return syscall(SYS_fsmount, -1, 0, 0); }
static long p_move_mount(void) { return syscall(SYS_move_mount, -1, "", -1, "", 0); }
static long p_open_tree(void) { return syscall(SYS_open_tree, AT_FDCWD, "/box", 0); }
static long p_unshare(void) { return syscall(SYS_unshare, CLONE_NEWUTS); }
static long p_setns(void) {
  int fd = open("/proc/self/ns/uts", O_RDONLY);
  return syscall(SYS_setns, fd, 0);
}
static long p_ptrace(void) { return syscall(SYS_ptrace, 0 /* TRACEME */, 0, NULL, NULL); }
static long vm_rw(long nr) {
  static char a[8], b[8];
  struct iovec l = {a, sizeof a}, r = {b, sizeof b};
  return syscall(nr, getpid(), &l, 1, &r, 1, 0);
}
static long p_process_vm_readv(void) { return vm_rw(SYS_process_vm_readv); }
static long p_process_vm_writev(void) { return vm_rw(SYS_process_vm_writev); }
static long p_kexec_load(void) { return syscall(SYS_kexec_load, 0, 0, NULL, 0); }
static long p_kexec_file_load(void) { return syscall(SYS_kexec_file_load, -1, -1, 0, "", 0); }
static long p_init_module(void) { return syscall(SYS_init_module, NULL, 0, ""); }
static long p_finit_module(void) { return syscall(SYS_finit_module, -1, "", 0); }
static long p_delete_module(void) { return syscall(SYS_delete_module, "remcode_none", 0); }
static long p_settimeofday(void) { return syscall(SYS_settimeofday, NULL, NULL); }
static long p_clock_settime(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return syscall(SYS_clock_settime, CLOCK_REALTIME, &now);
}
static long p_adjtimex(void) {
  /* modes 0 only reads the clock state: allowed to anyone unless filtered. */
  struct timex tx;
  memset(&tx, 0, sizeof tx);
  return syscall(SYS_adjtimex, &tx);
}
static long p_clock_adjtime(void) {
  struct timex tx;
  memset(&tx, 0, sizeof tx);
  return syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx);
}
static long p_reboot(void) {
  /* An invalid command: harmless even if it got through. */
  return syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, 0x12345678, NULL);
}
static long p_swapon(void) { return syscall(SYS_swapon, "/box/none", 0); }
static long p_swapoff(void) { return syscall(SYS_swapoff, "/box/none"); }
static long p_acct(void) { return syscall(SYS_acct, NULL); }
static long p_quotactl(void) { return syscall(SYS_quotactl, QCMD(Q_SYNC, USRQUOTA), NULL, 0, NULL); }
static long p_name_to_handle_at(void) {
  static struct {
    unsigned int bytes;
    int type;
    unsigned char handle[128];
  } fh = {128, 0, {0}};
  int mount_id;
  return syscall(SYS_name_to_handle_at, AT_FDCWD, "/box", &fh, &mount_id, 0);
}
static long p_open_by_handle_at(void) {
  static struct {
    unsigned int bytes;
    int type;
    unsigned char handle[8];
  } fh = {8, 1, {0}};
  return syscall(SYS_open_by_handle_at, AT_FDCWD, &fh, O_RDONLY);
}
static long p_modify_ldt(void) {
  /* func 0 reads the table: allowed to anyone unless filtered. */
  static char table[64];
  return syscall(SYS_modify_ldt, 0, table, sizeof table);
}
static long p_vmsplice(void) {
  int fds[2];
  if (pipe(fds) < 0) return -1;
  static char page[16] = "remcode";
  struct iovec iov = {page, sizeof page};
  return syscall(SYS_vmsplice, fds[1], &iov, 1, 0);
}
/* The NUMA calls, each with arguments that change nothing: the default policy, node 0, this process. */
static long p_mbind(void) {
  void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return syscall(SYS_mbind, page, 4096, MPOL_DEFAULT, NULL, 0, 0);
}
static long p_set_mempolicy(void) { return syscall(SYS_set_mempolicy, MPOL_DEFAULT, NULL, 0); }
static long p_get_mempolicy(void) {
  int mode;
  return syscall(SYS_get_mempolicy, &mode, NULL, 0, NULL, 0);
}
static long p_migrate_pages(void) {
  unsigned long node0 = 1;
  return syscall(SYS_migrate_pages, 0, 8 * sizeof node0, &node0, &node0);
}
static long p_move_pages(void) {
  static char page[4096] __attribute__((aligned(4096))) = {1};
  void *pages[1] = {page};
  int status[1];
  return syscall(SYS_move_pages, 0, 1, pages, NULL, status, 0);
}
/* personality: reading it and setting plain PER_LINUX are allowed; flags and other domains are not. */
static long p_personality_query(void) { return syscall(SYS_personality, 0xffffffffUL); }
static long p_personality_linux(void) { return syscall(SYS_personality, PER_LINUX); }
static long p_personality_no_aslr(void) { return syscall(SYS_personality, PER_LINUX | ADDR_NO_RANDOMIZE); }
static long p_personality_read_implies_exec(void) { return syscall(SYS_personality, PER_LINUX | READ_IMPLIES_EXEC); }
static long p_personality_linux32(void) { return syscall(SYS_personality, PER_LINUX32); }
/* The kernel looks at the low 32 bits only: high bits must not smuggle flags past the filter. */
static long p_personality_high_bits(void) { return syscall(SYS_personality, (1UL << 32) | ADDR_NO_RANDOMIZE); }

#define P(n) {#n, p_##n}
static const struct probe probes[] = {
    P(io_uring_setup), P(io_uring_enter), P(io_uring_register), P(bpf), P(perf_event_open), P(userfaultfd),
    P(keyctl), P(add_key), P(request_key), P(mount), P(umount2), P(pivot_root), P(fsopen), P(fsmount),
    P(move_mount), P(open_tree), P(unshare), P(setns), P(ptrace), P(process_vm_readv), P(process_vm_writev),
    P(kexec_load), P(kexec_file_load), P(init_module), P(finit_module), P(delete_module), P(settimeofday),
    P(clock_settime), P(adjtimex), P(clock_adjtime), P(reboot), P(swapon), P(swapoff), P(acct),
    P(quotactl), P(name_to_handle_at), P(open_by_handle_at), P(modify_ldt), P(vmsplice), P(mbind),
    P(set_mempolicy), P(get_mempolicy), P(migrate_pages), P(move_pages), P(personality_query),
    P(personality_linux), P(personality_no_aslr), P(personality_read_implies_exec), P(personality_linux32),
    P(personality_high_bits),
};

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
    if (strcmp(probes[i].name, argv[1]) != 0) continue;
    errno = 0;
    long rc = probes[i].call();
    printf("%s\n", rc >= 0 ? "ok" : strerrorname_np(errno));
    return 0;
  }
  printf("unknown probe %s\n", argv[1]);
  return 2;
}
