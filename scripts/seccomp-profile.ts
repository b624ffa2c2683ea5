/**
 * Writes manifests/seccomp/executor.json, the executor container's seccomp profile, from the x86_64
 * system call table in the kernel's UAPI headers and the policy below. Run it again after changing the
 * policy or on headers of a newer kernel (`npx tsx scripts/seccomp-profile.ts`); the unit test beside
 * it fails while the committed profile differs from what this writes.
 *
 * The profile is an allow list: everything the table holds except what neither the executor, its
 * sandbox helper nor any language runtime in a box uses. A call newer than the table answers ENOSYS,
 * as an older kernel would, so a runtime falls back instead of failing. Each box installs its own,
 * stricter filter on top (executor/sandbox/native/seccomp.c); this profile is what is left to an
 * attacker who got out of a box into the helper, which holds CAP_SYS_ADMIN.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SYSCALL_TABLE = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';
export const PROFILE_PATH = fileURLToPath(new URL('../manifests/seccomp/executor.json', import.meta.url));

const EPERM = 1;
const ENOSYS = 38;
const CLONE_NEWUSER = 0x10000000;
const MS_REMOUNT = 0x20;
const MS_BIND = 0x1000;

/**
 * Refused with EPERM: kernel surface no part of the executor needs, where an escaped helper holding
 * CAP_SYS_ADMIN would otherwise reach it (Docker's default profile allows several of these, bpf,
 * perf_event_open, fanotify and the new mount API among them, to a container granted CAP_SYS_ADMIN).
 */
export const DENIED: readonly string[] = [
  // Modules, kexec and the machine itself.
  'init_module',
  'finit_module',
  'delete_module',
  'create_module',
  'get_kernel_syms',
  'query_module',
  'kexec_load',
  'kexec_file_load',
  'reboot',
  'acct',
  'swapon',
  'swapoff',
  'iopl',
  'ioperm',
  // Clocks and the kernel log.
  'settimeofday',
  'clock_settime',
  'clock_adjtime',
  'adjtimex',
  'syslog',
  // Large attack surface: eBPF, perf, userfaultfd, keyrings, fanotify.
  'bpf',
  'perf_event_open',
  'userfaultfd',
  'keyctl',
  'add_key',
  'request_key',
  'fanotify_init',
  // Reaching into other processes and files by handle.
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'kcmp',
  'pidfd_getfd',
  // Joining another process's namespaces: a process the engine starts in the container (`docker exec`,
  // a healthcheck) is in the host's cgroup namespace on cgroup v1, which the executor's own leaves.
  'setns',
  'open_by_handle_at',
  'name_to_handle_at',
  // The new mount API beyond the two calls the helper uses (open_tree, move_mount).
  'fsopen',
  'fsconfig',
  'fsmount',
  'fspick',
  'mount_setattr',
  // Obsolete or unused interfaces.
  'modify_ldt',
  'lookup_dcookie',
  'nfsservctl',
  'uselib',
  '_sysctl',
  'sysfs',
  'ustat',
  'vhangup',
  'quotactl',
  'quotactl_fd',
];

/**
 * Answered ENOSYS, as a kernel without them would: callers fall back (glibc's clone3 to clone, whose
 * flags this profile can check; libuv's io_uring to its thread pool; a NUMA-aware runtime to none).
 */
export const ABSENT: readonly string[] = [
  'clone3',
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  'vmsplice',
  'mbind',
  'set_mempolicy',
  'get_mempolicy',
  'migrate_pages',
  'move_pages',
  'set_mempolicy_home_node',
];

/**
 * Allowed only with the arguments below. Other arguments get the default answer (a socket of another
 * family, a personality that changes more than PER_LINUX), except a new user namespace and a superblock
 * remount: EPERM.
 */
const CONDITIONAL = ['clone', 'unshare', 'personality', 'socket', 'mount'] as const;

/** Socket families the executor uses: Unix, IPv4, IPv6, and netlink for its own interface list. */
const SOCKET_FAMILIES = { AF_UNIX: 1, AF_INET: 2, AF_INET6: 10, AF_NETLINK: 16 } as const;
/** personality(2): query (0xffffffff), PER_LINUX, and the two flags runtimes set on themselves. */
const PERSONALITIES = [0x0, 0x0008, 0x20000, 0x20008, 0xffffffff] as const;

interface Rule {
  readonly names: readonly string[];
  readonly action: 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO';
  readonly errnoRet?: number;
  readonly args?: ReadonlyArray<{ index: number; value: number; valueTwo: number; op: string }>;
  readonly comment?: string;
}

export interface SeccompProfile {
  readonly defaultAction: 'SCMP_ACT_ERRNO';
  readonly defaultErrnoRet: number;
  readonly architectures: readonly string[];
  readonly syscalls: readonly Rule[];
}

/** The names in an asm/unistd_64.h, in table order. */
export function parseSyscallTable(header: string): string[] {
  return [...header.matchAll(/^#define __NR_(\w+)\s+\d+\s*$/gm)].map((match) => match[1]!);
}

export function buildProfile(table: readonly string[]): SeccompProfile {
  const known = new Set(table);
  for (const name of [...DENIED, ...ABSENT, ...CONDITIONAL]) {
    if (!known.has(name)) throw new Error(`${name} is not in the system call table`);
  }
  const special = new Set<string>([...DENIED, ...ABSENT, ...CONDITIONAL]);
  const eq = (index: number, value: number) => ({ index, value, valueTwo: 0, op: 'SCMP_CMP_EQ' });
  // The helper builds every other namespace; a user namespace is where most kernel exploits start.
  // (A masked comparison takes the mask in `value` and the expected bits in `valueTwo`.)
  const withoutUserNamespace = [{ index: 0, value: CLONE_NEWUSER, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }];
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: ENOSYS,
    // Native x86_64 only: no 32-bit or x32 system call table beside it.
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      { names: table.filter((name) => !special.has(name)).sort(), action: 'SCMP_ACT_ALLOW' },
      { names: ['clone', 'unshare'], action: 'SCMP_ACT_ALLOW', args: withoutUserNamespace },
      ...PERSONALITIES.map((value) => ({
        names: ['personality'],
        action: 'SCMP_ACT_ALLOW' as const,
        args: [eq(0, value)],
      })),
      ...Object.values(SOCKET_FAMILIES).map((family) => ({
        names: ['socket'],
        action: 'SCMP_ACT_ALLOW' as const,
        args: [eq(0, family)],
      })),
      // mount(2) with any flags but a superblock remount (MS_REMOUNT without MS_BIND): that is how a
      // cgroup v1 hierarchy's release_agent is set (the helper changes only per-mount flags).
      ...[0, MS_BIND, MS_REMOUNT | MS_BIND].map((bits) => ({
        names: ['mount'],
        action: 'SCMP_ACT_ALLOW' as const,
        args: [{ index: 3, value: MS_REMOUNT | MS_BIND, valueTwo: bits, op: 'SCMP_CMP_MASKED_EQ' }],
      })),
      {
        names: ['mount'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: EPERM,
        args: [{ index: 3, value: MS_REMOUNT | MS_BIND, valueTwo: MS_REMOUNT, op: 'SCMP_CMP_MASKED_EQ' }],
      },
      {
        names: ['clone', 'unshare'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: EPERM,
        args: [{ index: 0, value: CLONE_NEWUSER, valueTwo: CLONE_NEWUSER, op: 'SCMP_CMP_MASKED_EQ' }],
      },
      { names: [...DENIED].sort(), action: 'SCMP_ACT_ERRNO', errnoRet: EPERM },
      { names: [...ABSENT].sort(), action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
    ],
  };
}

export function renderProfile(profile: SeccompProfile): string {
  return `${JSON.stringify(profile, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const profile = buildProfile(parseSyscallTable(readFileSync(SYSCALL_TABLE, 'utf8')));
  writeFileSync(PROFILE_PATH, renderProfile(profile));
  console.log(`wrote ${PROFILE_PATH}: ${profile.syscalls[0]?.names.length ?? 0} calls allowed outright`);
}
