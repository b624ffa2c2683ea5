/**
 * The executor container under its own seccomp profile (manifests/seccomp/executor.json), started as
 * the shipped manifest starts it, beside the same container under the engine's default profile. Its
 * sandbox must still judge programs, and the kernel surface an escaped helper holding CAP_SYS_ADMIN
 * would reach for must be closed by the profile: the default profile leaves user namespaces, bpf and
 * the new mount API open to a container granted CAP_SYS_ADMIN. Builds the Python and C pool image
 * (cached after test/images/executor-pool.int.test.ts).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAIR_IMAGE as image, executorRunOptions, pairExecutor } from '../support/executor-container.js';

const run = promisify(execFile);
const confined = `remcode-seccomp-${process.pid}`;
const engineDefault = `remcode-seccomp-default-${process.pid}`;

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 1 << 24, timeout: 120_000 });
  return stdout;
}

/**
 * Each call made once from a process in the container (not in a box), answered with 0 on success or
 * the errno. x86_64 numbers; every pointer argument is NULL, so most calls the filter lets through
 * fail in the kernel with EFAULT or EINVAL. Each runs in a child of its own, so one that succeeds (a
 * new user namespace, a remount of the container's /tmp) changes nothing for the next.
 */
const PROBE = `
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
def isolated(attempt):
    # In a child of its own: a call that succeeds (a new user namespace, a remount) changes only it.
    pid = os.fork()
    if pid == 0:
        ctypes.set_errno(0)
        os._exit(0 if attempt() >= 0 else ctypes.get_errno())
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
def call(number, *args):
    return isolated(lambda: libc.syscall(number, *[ctypes.c_long(a) for a in args]))
def join_own(kind):
    # Joining a namespace the caller is already in: harmless, and refused only by a filter.
    return isolated(lambda: libc.setns(os.open('/proc/self/ns/' + kind, os.O_RDONLY), 0))
def remount(flags):
    return isolated(lambda: libc.mount(None, b'/tmp', None, ctypes.c_ulong(flags), None))
out = {
    'unshare_user': call(272, 0x10000000),
    'unshare_mount': call(272, 0x00020000),
    'remount_superblock': remount(0x20),
    'remount_bind': remount(0x20 | 0x1000),
    'setns': join_own('cgroup'),
    'bpf': call(321, 0, 0, 0),
    'perf_event_open': call(298, 0, 0, -1, -1, 0),
    'keyctl': call(250, 0, 0, 0, 0, 0),
    'fsopen': call(430, 0, 0),
    'userfaultfd': call(323, 0),
    'io_uring_setup': call(425, 1, 0),
    'socket_vsock': call(41, 40, 1, 0),
    'socket_alg': call(41, 38, 5, 0),
    'socket_inet': call(41, 2, 1, 0),
    'socket_netlink': call(41, 16, 3, 0),
}
print(json.dumps(out))
`;

async function probe(container: string): Promise<Record<string, number>> {
  return JSON.parse(await docker('exec', container, 'python3', '-c', PROBE)) as Record<string, number>;
}

async function judge(language: string, file: string, source: string): Promise<string> {
  await docker(
    'exec',
    confined,
    'node',
    '-e',
    "require('fs').writeFileSync(process.argv[1], process.argv[2])",
    file,
    source,
  );
  const out = await docker(
    'exec',
    confined,
    'node',
    'dist/executor/cli/remcode-run.js',
    '--lang',
    language,
    file,
  );
  const result = JSON.parse(out) as { tests: { verdict: string; result: { stdout: string } }[] };
  const [first] = result.tests;
  return `${first?.verdict}: ${first?.result.stdout.trim()}`;
}

beforeAll(async () => {
  const executor = await pairExecutor();
  expect(executor.seccomp).toEqual({
    profile: expect.stringMatching(/manifests\/seccomp\/executor\.json$/) as unknown,
  });
  const keepRunning = [image, 'node', '-e', 'setInterval(() => {}, 1 << 30)'];
  await docker('run', '-d', '--name', confined, ...executorRunOptions(executor), ...keepRunning);
  await docker(
    'run',
    '-d',
    '--name',
    engineDefault,
    ...executorRunOptions(executor, { engineDefaultSeccomp: true }),
    ...keepRunning,
  );
}, 1_600_000);

afterAll(async () => {
  await docker('rm', '-f', confined, engineDefault).catch(() => undefined);
});

const EPERM = 1;
const ENOSYS = 38;

describe('the executor container under its own seccomp profile', () => {
  it('judges Python and C programs in its sandbox under the profile', async () => {
    expect(await judge('python', '/tmp/hello.py', "print('hello', sum(range(10)))\n")).toBe(
      'accepted: hello 45',
    );
    expect(
      await judge(
        'c',
        '/tmp/hello.c',
        '#include <stdio.h>\nint main(void) { puts("compiled"); return 0; }\n',
      ),
    ).toBe('accepted: compiled');
  });

  it('closes what the default profile leaves open to a container holding CAP_SYS_ADMIN', async () => {
    const [own, theDefault] = [await probe(confined), await probe(engineDefault)];
    // Open under the default profile: a user namespace is made, a superblock is remounted (the call
    // that sets a cgroup v1 hierarchy's release_agent; here only /tmp's tmpfs), a namespace is joined,
    // bpf and fsopen reach the kernel.
    expect({
      unshare_user: theDefault['unshare_user'],
      remount_superblock: theDefault['remount_superblock'],
      setns: theDefault['setns'],
      bpf: theDefault['bpf'] === EPERM,
      fsopen: theDefault['fsopen'] === EPERM,
    }).toEqual({ unshare_user: 0, remount_superblock: 0, setns: 0, bpf: false, fsopen: false });
    expect(own).toEqual({
      unshare_user: EPERM,
      // The helper's own namespaces and per-mount flag changes are still allowed.
      unshare_mount: 0,
      remount_superblock: EPERM,
      remount_bind: 0,
      // A process the engine starts in the container (`docker exec`, a healthcheck) keeps the host's
      // cgroup namespace on v1; joining its namespaces would undo the executor's own (init.c).
      setns: EPERM,
      bpf: EPERM,
      perf_event_open: EPERM,
      keyctl: EPERM,
      fsopen: EPERM,
      userfaultfd: EPERM,
      io_uring_setup: ENOSYS,
      socket_vsock: EPERM,
      socket_alg: EPERM,
      socket_inet: 0,
      socket_netlink: 0,
    });
  });
});
