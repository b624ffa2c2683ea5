/**
 * The adversarial suite of the sandbox: every program here tries to break out, to starve the host or to
 * outlive its run, and each test asserts the exact outcome. After every test the host must hold nothing
 * of the run (processes, cgroups, files, IPC objects) and a canary run on every slot must behave normally.
 * docs/sandbox-tests.md lists the programs in a table.
 */
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { chown, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { networkInterfaces, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { ownCgroupDirs } from '../support/cgroups.js';
import { createSandbox, SandboxRequestError } from '../../executor/sandbox/index.js';
import type { RunResult, Sandbox, WorkspaceFile } from '../../executor/sandbox/types.js';
import {
  COMPILE_LIMITS,
  KiB,
  MiB,
  RUN_LIMITS,
  SANDBOX_ENV,
  captureBaseline,
  hostLeftovers,
  cProgram,
  compileCPrograms,
  lines,
  outcome,
  request,
  runOnHost,
  runProgram,
  scriptProgram,
  settledHostLeftovers,
  sourceFile,
  withTimeout,
  withWorkspace,
  type HostBaseline,
  type Program,
} from './harness.js';

const SLOTS = 2;
// A uid range and cgroup of our own, so that another sandbox on the same machine cannot be mistaken for a
// leftover of this suite.
const UID_BASE = 61100;
const CGROUP_NAME = 'remcode-hostile';
const SLOT_UIDS = Array.from({ length: SLOTS }, (_, i) => UID_BASE + i);

// The executor's secrets: the sandbox must not see them anywhere. Set before the sandbox starts so that
// its helpers would inherit them if anything leaked the environment.
const SECRET = `remcode-secret-${randomBytes(12).toString('hex')}`;
process.env.REMCODE_TEST_SECRET = SECRET;
process.env.REMCODE_TEST_DATABASE_URL = `postgres://remcode:${SECRET}@127.0.0.1:5432/remcode`;
const HOST_SECRET_FILES = [`/etc/remcode-test-${SECRET}`, `/root/remcode-test-${SECRET}`];

let sandbox: Sandbox;
let bins: Map<string, Buffer>;
let baseline: HostBaseline;

function c(name: string, ...args: string[]): Program {
  return cProgram(bins, name, ...args);
}

async function assertHostClean(): Promise<void> {
  expect(sandbox.busySlots()).toBe(0);
  expect(await settledHostLeftovers(baseline, CGROUP_NAME)).toEqual([]);
}

/** One canary run per slot, at the same time, so that both slots are proven healthy. */
async function assertCanaries(): Promise<void> {
  const results = await Promise.all(Array.from({ length: SLOTS }, () => runProgram(sandbox, c('canary'))));
  for (const r of results) {
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0, signal: null, stdout: 'canary ok\n' });
  }
}

beforeAll(async () => {
  await Promise.all(HOST_SECRET_FILES.map((file) => writeFile(file, SECRET)));
  bins = await compileCPrograms();
  sandbox = await createSandbox({ slots: SLOTS, uidBase: UID_BASE, cgroupName: CGROUP_NAME });
  await assertCanaries();
  baseline = await captureBaseline(SLOT_UIDS, CGROUP_NAME);
});

afterAll(async () => {
  try {
    await sandbox?.close();
    // A closed sandbox keeps no cgroup below its own top-level one.
    const leftover: string[] = [];
    for (const own of ownCgroupDirs()) {
      const top = `${own}/${CGROUP_NAME}`;
      const entries = await readdir(top, { withFileTypes: true }).catch(() => []);
      leftover.push(...entries.filter((e) => e.isDirectory()).map((e) => `${top}/${e.name}`));
    }
    expect(leftover).toEqual([]);
  } finally {
    await Promise.all(HOST_SECRET_FILES.map((f) => rm(f, { force: true })));
  }
});

afterEach(async () => {
  await assertHostClean();
  await assertCanaries();
  await assertHostClean();
});

/** Compares "key: value" lines to a pattern per key; returns every missing, unexpected or wrong line. */
function mismatches(stdout: Buffer, expected: Record<string, RegExp>): string[] {
  const report = new Map(lines(stdout).map((l) => l.split(': ') as [string, string]));
  const wrong: string[] = [];
  for (const [key, pattern] of Object.entries(expected)) {
    const value = report.get(key);
    if (value === undefined || !pattern.test(value))
      wrong.push(`${key}: ${value ?? '(missing)'}, expected ${pattern}`);
  }
  for (const key of report.keys()) if (!(key in expected)) wrong.push(`unexpected line ${key}`);
  return wrong;
}

function sandboxUid(): (value: number) => boolean {
  return (value) => SLOT_UIDS.includes(value);
}

const INIT_WITHOUT_CAPABILITIES = [
  'Uid:\t0\t0\t0\t0',
  'CapInh:\t0000000000000000',
  'CapPrm:\t0000000000000000',
  'CapEff:\t0000000000000000',
  'CapBnd:\t0000000000000000',
  'CapAmb:\t0000000000000000',
].join('\n');

/**
 * Read on the host: the uid and capability lines of the parent of every process of a slot uid, that is
 * of the init of every box with a program running.
 */
async function boxInitCapabilities(uids: readonly number[] = SLOT_UIDS): Promise<string[]> {
  const status = (pid: string): Promise<string | null> =>
    readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  const field = (text: string, key: string): string =>
    text.match(new RegExp(`^${key}:.*$`, 'm'))?.[0] ?? `${key}: ?`;
  const inits = new Set<string>();
  for (const pid of (await readdir('/proc')).filter((e) => /^\d+$/.test(e))) {
    const text = await status(pid);
    if (text === null) continue;
    const uid = Number(field(text, 'Uid').split(/\s+/)[1]);
    if (uids.includes(uid)) inits.add(field(text, 'PPid').split(/\s+/)[1] ?? '');
  }
  const found: string[] = [];
  for (const pid of inits) {
    const text = await status(pid);
    // The init is the parent that is not itself a process of the run.
    if (text === null || uids.includes(Number(field(text, 'Uid').split(/\s+/)[1]))) continue;
    found.push(
      ['Uid', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'].map((k) => field(text, k)).join('\n'),
    );
  }
  return found;
}

// The checks that run after every test must be able to fail: prove they see a process and a file of a
// slot uid on the host.
describe('host inspection', () => {
  it('reports a host process and a host /tmp file of a slot uid as leftovers', async () => {
    const uid = SLOT_UIDS[0] as number;
    const file = `/tmp/remcode-hostile-selftest-${randomBytes(6).toString('hex')}`;
    const child = spawn('/bin/sleep', ['30'], { uid, gid: uid, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await writeFile(file, 'x');
      await chown(file, uid, uid);
      const found = await hostLeftovers(baseline, CGROUP_NAME);
      expect(found).toContainEqual(expect.stringMatching(new RegExp(`^process ${child.pid} \\(sleep`)));
      expect(found).toContain(`host file ${file} owned by uid ${uid}`);
    } finally {
      child.kill('SIGKILL');
      await exited;
      await rm(file, { force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------------
describe('process and thread limits', () => {
  it('ends a C fork bomb that ignores fork failures by the CPU time limit', async () => {
    const r = await runProgram(sandbox, c('fork_bomb'));
    expect(outcome(r)).toMatchObject({ verdict: 'time_limit_exceeded', timeLimit: 'cpu', stdout: '' });
  });

  it('ends a bash fork bomb by a time limit', async () => {
    const r = await runProgram(sandbox, await scriptProgram('bash_fork_bomb.sh'));
    expect(r.verdict).toBe('time_limit_exceeded');
    expect(['cpu', 'wall']).toContain(r.timeLimit);
  });

  it('makes fork fail with EAGAIN below the processes limit and lets the program carry on', async () => {
    const r = await runProgram(sandbox, c('fork_until_fail'));
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
    const m = /^fork failed after (\d+) children: EAGAIN\n$/.exec(r.stdout.toString());
    expect(m, r.stdout.toString()).not.toBeNull();
    const children = Number(m?.[1]);
    expect(children).toBeGreaterThan(0);
    expect(children).toBeLessThan(RUN_LIMITS.processes);
  });

  it('counts threads against the processes limit: pthread_create fails with EAGAIN', async () => {
    const r = await runProgram(sandbox, c('thread_until_fail'));
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
    const m = /^pthread_create failed after (\d+) threads: EAGAIN\n$/.exec(r.stdout.toString());
    expect(m, r.stdout.toString()).not.toBeNull();
    expect(Number(m?.[1])).toBeLessThan(RUN_LIMITS.processes);
  });
});

// ---------------------------------------------------------------------------------------------------
describe('memory limits', () => {
  it('kills a malloc bomb with memory_limit_exceeded', async () => {
    const r = await runProgram(sandbox, c('malloc_bomb'));
    expect(outcome(r)).toMatchObject({ verdict: 'memory_limit_exceeded', signal: 'SIGKILL', stdout: '' });
    expect(r.memoryBytes).toBeGreaterThan(RUN_LIMITS.memoryBytes * 0.75);
  });

  it('kills an mmap(MAP_POPULATE) bomb with memory_limit_exceeded', async () => {
    const r = await runProgram(sandbox, c('mmap_bomb'));
    expect(outcome(r)).toMatchObject({ verdict: 'memory_limit_exceeded', signal: 'SIGKILL', stdout: '' });
  });

  it('charges memory over all processes: eight 12 MiB children exceed 64 MiB together', async () => {
    const r = await runProgram(sandbox, c('many_procs_memory'));
    expect(r.verdict).toBe('memory_limit_exceeded');
    // Either the whole run was killed at once, or the parent saw a child die to the OOM killer.
    expect(['', 'child killed by KILL\n']).toContain(r.stdout.toString());
  });

  it('charges memfd files to the memory limit: many 8 MiB memfds are memory_limit_exceeded', async () => {
    const r = await runProgram(sandbox, c('memfd_bomb'));
    expect(outcome(r)).toMatchObject({ verdict: 'memory_limit_exceeded', stdout: '' });
  });

  it('does not count address space that is never touched', async () => {
    const r = await runProgram(sandbox, c('mmap_untouched'));
    expect(outcome(r)).toMatchObject({
      verdict: 'ok',
      exitCode: 0,
      stdout: 'mapped 64 GiB, touched 2 pages\n',
    });
  });

  it('reports abort() as SIGABRT and writes no core file into /box', async () => {
    const program = c('abort_core');
    await withWorkspace(sandbox, async (ws) => {
      await ws.writeFiles(program.files);
      const r = await ws.run(request(program.argv));
      expect(outcome(r)).toMatchObject({ verdict: 'runtime_error', signal: 'SIGABRT', exitCode: null });
      const listing = await ws.run(request(['/bin/ls', '-A', '/box']));
      expect(outcome(listing)).toMatchObject({ verdict: 'ok', exitCode: 0, stdout: 'abort_core\n' });
    });
  });

  it('turns a stack overflow into runtime_error with SIGSEGV', async () => {
    const r = await runProgram(sandbox, c('stack_overflow'));
    expect(outcome(r)).toMatchObject({
      verdict: 'runtime_error',
      signal: 'SIGSEGV',
      exitCode: null,
      stdout: '',
    });
  });
});

// ---------------------------------------------------------------------------------------------------
describe('disk, inodes and files', () => {
  it('fills /box only up to the workspace size (ENOSPC)', async () => {
    const size = 4 * MiB;
    const r = await runProgram(sandbox, c('disk_fill', '/box/fill'), { workspaceBytes: size });
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
    const m = /^ENOSPC after (\d+) bytes\n$/.exec(r.stdout.toString());
    expect(m, r.stdout.toString()).not.toBeNull();
    expect(Number(m?.[1])).toBeLessThanOrEqual(size);
  });

  it.each(['/tmp', '/dev/shm'])('fills %s only up to tmpBytes (ENOSPC)', async (dir) => {
    const r = await runProgram(sandbox, c('disk_fill', `${dir}/fill`));
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
    const m = /^ENOSPC after (\d+) bytes\n$/.exec(r.stdout.toString());
    expect(m, r.stdout.toString()).not.toBeNull();
    expect(Number(m?.[1])).toBeLessThanOrEqual(RUN_LIMITS.tmpBytes);
  });

  it('charges /tmp to the memory limit: filling a /tmp larger than memoryBytes is memory_limit_exceeded', async () => {
    const r = await runProgram(sandbox, c('disk_fill', '/tmp/fill'), {
      limits: { memoryBytes: 32 * MiB, tmpBytes: 64 * MiB, fileSizeBytes: 64 * MiB },
    });
    expect(outcome(r)).toMatchObject({ verdict: 'memory_limit_exceeded', stdout: '' });
  });

  it.each(['/box', '/tmp'])(
    'runs out of inodes in %s with ENOSPC instead of eating host memory',
    async (dir) => {
      const r = await runProgram(sandbox, c('inode_fill', dir), {
        limits: { cpuTimeMs: 2000, wallTimeMs: 4000 },
      });
      expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
      expect(r.stdout.toString()).toMatch(/^ENOSPC after \d+ files\n$/);
    },
  );

  it('kills a writer that grows a file past fileSizeBytes with SIGXFSZ', async () => {
    const r = await runProgram(sandbox, c('huge_file', 'signal'), {
      limits: { fileSizeBytes: 1 * MiB },
      workspaceBytes: 8 * MiB,
    });
    expect(outcome(r)).toMatchObject({ verdict: 'runtime_error', signal: 'SIGXFSZ', exitCode: null });
  });

  it('stops a writer that ignores SIGXFSZ at exactly fileSizeBytes with EFBIG', async () => {
    const r = await runProgram(sandbox, c('huge_file', 'efbig'), {
      limits: { fileSizeBytes: 1 * MiB },
      workspaceBytes: 8 * MiB,
    });
    expect(outcome(r)).toMatchObject({
      verdict: 'ok',
      exitCode: 0,
      stdout: `EFBIG after ${1 * MiB} bytes\n`,
    });
  });

  it('refuses sparse huge files: ftruncate and a write at 1 TiB fail with EFBIG', async () => {
    const r = await runProgram(sandbox, c('huge_file', 'sparse'), { limits: { fileSizeBytes: 1 * MiB } });
    expect(outcome(r)).toMatchObject({
      verdict: 'ok',
      exitCode: 0,
      stdout: 'ftruncate 1 TiB: EFBIG\npwrite at 1 TiB: EFBIG\n',
    });
  });

  it('allows writes only to /box, /tmp and /dev/shm', async () => {
    const r = await runProgram(sandbox, await scriptProgram('read_only_root.sh'));
    expect(outcome(r)).toMatchObject({
      verdict: 'ok',
      exitCode: 0,
      stdout: '/box writable\n/tmp writable\n/dev/shm writable\n',
    });
  });

  it('mounts /box, /tmp and /dev/shm nosuid and nodev', async () => {
    const script = [
      'for line in open("/proc/self/mountinfo"):',
      '    f = line.split()',
      '    if f[4] in ("/box", "/tmp", "/dev/shm"):',
      '        opts = set(f[5].split(","))',
      '        print(f[4], "nosuid" in opts, "nodev" in opts)',
    ].join('\n');
    const r = await runProgram(sandbox, { files: [], argv: ['/usr/bin/python3', '-c', script] });
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
    expect(lines(r.stdout).sort()).toEqual(['/box True True', '/dev/shm True True', '/tmp True True']);
  });
});

// ---------------------------------------------------------------------------------------------------
describe('descriptors and pipes', () => {
  it('stops opening files at openFiles with EMFILE', async () => {
    const r = await runProgram(sandbox, c('fd_exhaust', 'files'));
    expect(outcome(r)).toMatchObject({
      verdict: 'ok',
      exitCode: 0,
      stdout: `${RUN_LIMITS.openFiles - 3} files then EMFILE\n`,
    });
  });

  it('stops creating pipes at openFiles with EMFILE', async () => {
    const r = await runProgram(sandbox, c('fd_exhaust', 'pipes'));
    expect(outcome(r)).toMatchObject({
      verdict: 'ok',
      exitCode: 0,
      stdout: `${Math.floor((RUN_LIMITS.openFiles - 3) / 2)} pipes then EMFILE\n`,
    });
  });

  it('ends a program blocked forever on a full pipe by the wall time limit', async () => {
    const r = await runProgram(sandbox, c('pipe_block'), { limits: { wallTimeMs: 1500 } });
    expect(outcome(r)).toMatchObject({
      verdict: 'time_limit_exceeded',
      timeLimit: 'wall',
      stdout: 'filling\n',
    });
  });

  it('starts the run with only descriptors 0, 1 and 2 open', async () => {
    const r = await runProgram(sandbox, c('fd_probe'));
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
    expect(lines(r.stdout).map((l) => l.split(' ')[0])).toEqual(['0', '1', '2']);
  });
});

// ---------------------------------------------------------------------------------------------------
describe('time limits', () => {
  it('kills a CPU loop that ignores and blocks every signal by the CPU time limit', async () => {
    const r = await runProgram(sandbox, c('cpu_spin_ignore_signals'));
    expect(outcome(r)).toMatchObject({ verdict: 'time_limit_exceeded', timeLimit: 'cpu', signal: 'SIGKILL' });
    expect(r.cpuTimeMs).toBeGreaterThanOrEqual(RUN_LIMITS.cpuTimeMs);
  });

  it('sums CPU time over threads: four spinning threads hit the CPU limit', async () => {
    const r = await runProgram(sandbox, c('cpu_threads'));
    expect(outcome(r)).toMatchObject({ verdict: 'time_limit_exceeded', timeLimit: 'cpu' });
    expect(r.cpuTimeMs).toBeGreaterThanOrEqual(RUN_LIMITS.cpuTimeMs);
  });

  it('ends a program sleeping forever by the wall time limit', async () => {
    const r = await runProgram(sandbox, await scriptProgram('sleep_forever.sh'), {
      limits: { wallTimeMs: 1500 },
    });
    expect(outcome(r)).toMatchObject({
      verdict: 'time_limit_exceeded',
      timeLimit: 'wall',
      stdout: 'sleeping\n',
    });
  });

  it('kills a run cancelled through its AbortSignal, with everything it started', async () => {
    const controller = new AbortController();
    const program = c('daemon');
    const r = await withWorkspace(sandbox, async (ws) => {
      await ws.writeFiles(program.files);
      return ws.run(
        request(['/bin/sh', '-c', '/box/daemon; echo daemonised; exec sleep 1000'], {
          signal: controller.signal,
          onOutput: (stream, chunk) => {
            if (stream === 'stdout' && chunk.toString().includes('daemonised')) controller.abort();
          },
        }),
      );
    });
    expect(r).toMatchObject({ verdict: 'internal_error', error: 'cancelled' });
    expect(r.stdout.toString()).toBe('parent done\ndaemonised\n');
  });

  it('gives a program without stdin an immediate end of file', async () => {
    const r = await runProgram(sandbox, { files: [], argv: ['/bin/cat'] });
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0, stdout: '' });
  });

  it('does not let a program fake a CPU time verdict by sending itself SIGXCPU', async () => {
    const r = await runProgram(sandbox, { files: [], argv: ['/bin/sh', '-c', 'kill -XCPU $$'] });
    expect(outcome(r)).toMatchObject({ verdict: 'runtime_error', timeLimit: null, signal: 'SIGXCPU' });
  });

  it('does not block on stdin the program never reads', async () => {
    const r = await runProgram(
      sandbox,
      { files: [], argv: ['/bin/true'] },
      { stdin: Buffer.alloc(8 * MiB, 0x61) },
    );
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0, stdout: '' });
  });

  it('ends a program that stopped itself with SIGSTOP by the wall time limit', async () => {
    const r = await runProgram(sandbox, c('sigstop_self'), { limits: { wallTimeMs: 1500 } });
    expect(outcome(r)).toMatchObject({
      verdict: 'time_limit_exceeded',
      timeLimit: 'wall',
      stdout: 'stopping\n',
    });
  });
});

// ---------------------------------------------------------------------------------------------------
describe('nothing outlives a run', () => {
  async function daemonThenCheck(daemon: Program, expectedStdout: string): Promise<void> {
    const check = await scriptProgram('heartbeat_check.sh');
    await withWorkspace(sandbox, async (ws) => {
      await ws.writeFiles([...daemon.files, ...check.files]);
      const first = await ws.run(request(daemon.argv));
      expect(outcome(first)).toMatchObject({ verdict: 'ok', exitCode: 0, stdout: expectedStdout });
      // Host side, before anything else runs: no process of the slot's uid and no task in its cgroup.
      expect(await settledHostLeftovers(baseline, CGROUP_NAME)).toEqual([]);
      const second = await ws.run(request(check.argv));
      expect(outcome(second)).toMatchObject({ verdict: 'ok', exitCode: 0, stdout: 'heartbeat stopped\n' });
    });
  }

  it('kills a double-forked setsid C daemon when its parent exits', async () => {
    await daemonThenCheck(c('daemon'), 'parent done\n');
  });

  it('kills a setsid shell daemon that traps HUP, INT and TERM', async () => {
    await daemonThenCheck(await scriptProgram('shell_daemon.sh'), 'started\n');
  });

  it('leaves nothing behind after ten daemons queued on both slots at once', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => runProgram(sandbox, c('daemon'))));
    for (const r of results)
      expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0, stdout: 'parent done\n' });
  });

  it('shows the next run neither files in /tmp and /dev/shm, shared memory, semaphores, queues nor processes', async () => {
    const program = c('leftovers', 'plant');
    const clean = [
      '/tmp/leftover: ENOENT',
      '/dev/shm/leftover: ENOENT',
      'posix shm: ENOENT',
      'sysv shm: ENOENT',
      'sysv sem: ENOENT',
      'sysv msg: ENOENT',
      'other processes: 0',
      '',
    ].join('\n');
    await withWorkspace(sandbox, async (ws) => {
      await ws.writeFiles(program.files);
      const planted = await ws.run(request(program.argv));
      expect(outcome(planted)).toMatchObject({
        verdict: 'ok',
        exitCode: 0,
        stdout: 'planted shm=ok sem=ok msg=ok\n',
      });
      const sameJob = await ws.run(request(['/box/leftovers', 'probe']));
      expect(outcome(sameJob)).toMatchObject({ verdict: 'ok', exitCode: 0, stdout: clean });
    });
    const nextJob = await runProgram(sandbox, c('leftovers', 'probe'));
    expect(outcome(nextJob)).toMatchObject({ verdict: 'ok', exitCode: 0, stdout: clean });
  });

  it('gives every slot its own uid and hides runs of other slots, even while they run', async () => {
    const token = `token-${randomBytes(8).toString('hex')}`;
    await withWorkspace(sandbox, async (holder) => {
      let ready!: () => void;
      const started = new Promise<void>((resolve) => (ready = resolve));
      const holding = holder.run(
        request(
          [
            '/bin/sh',
            '-c',
            'printf %s "$1" > /box/token; printf %s "$1" > /tmp/token; echo ready; exec sleep 2',
            'sh',
            token,
          ],
          {
            // Its two-second sleep must not meet the suite's three-second wall limit on a busy machine.
            limits: { wallTimeMs: 10_000 },
            onOutput: (stream, chunk) => {
              if (stream === 'stdout' && chunk.toString().includes('ready')) ready();
            },
          },
        ),
      );
      await started;
      const probe = await runProgram(sandbox, await scriptProgram('other_runs.py', token));
      expect(outcome(probe)).toMatchObject({
        verdict: 'ok',
        exitCode: 0,
        stdout: 'other processes: 0\ntoken found in: []\n',
      });
      expect(outcome(await holding)).toMatchObject({ verdict: 'ok', exitCode: 0, stdout: 'ready\n' });
    });
  });
});

// ---------------------------------------------------------------------------------------------------
describe('secrets of the host and the executor', () => {
  it('cannot find the executor secret, host users, /etc/shadow or /root anywhere', async () => {
    const passwd = await readFile('/etc/passwd', 'utf8');
    const hostUsers = passwd
      .split('\n')
      .map((l) => l.split(':')[0] ?? '')
      .filter((u) => u.length > 0 && !['root', 'nobody'].includes(u));
    const r = await runProgram(sandbox, await scriptProgram('find_secrets.py', ...hostUsers), {
      stdin: Buffer.from(SECRET),
      limits: { cpuTimeMs: 3000, wallTimeMs: 6000 },
    });
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0, stderr: '' });
    const report = JSON.parse(r.stdout.toString()) as Record<string, unknown>;
    expect(report).toMatchObject({ secret_found_in: [], host_users_in_passwd: [] });
    expect(report['/etc/shadow']).toMatch(/^(No such file or directory|Permission denied)$/);
    expect(report['/etc/gshadow']).toMatch(/^(No such file or directory|Permission denied)$/);
    expect(report['/root']).toMatch(/^(No such file or directory|Permission denied|directory )$/);
    expect(report.hostname).not.toBe(hostname());
  });

  it('passes exactly RunRequest.env and nothing of the executor environment', async () => {
    const env = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', REMCODE_VISIBLE: 'yes' };
    const r = await runProgram(sandbox, c('env_dump'), { env });
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
    expect(lines(r.stdout).sort()).toEqual(
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .sort(),
    );
  });

  it('runs with an empty environment when RunRequest.env is omitted', async () => {
    const r = await runProgram(sandbox, c('env_dump'), { env: null });
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0, stdout: '' });
  });
});

// ---------------------------------------------------------------------------------------------------
describe('network', () => {
  function hostAddress(): string {
    for (const addresses of Object.values(networkInterfaces())) {
      for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
    }
    return '10.0.2.15';
  }

  it('cannot reach Redis, Postgres, the host, the metadata service or the internet over TCP', async () => {
    const host = hostAddress();
    const r = await runProgram(sandbox, await scriptProgram('net_tcp.py', host));
    expect(outcome(r)).toMatchObject({
      verdict: 'ok',
      exitCode: 0,
      stdout: [
        '127.0.0.1 6379: ECONNREFUSED',
        '127.0.0.1 5432: ECONNREFUSED',
        `${host} 5432: ENETUNREACH`,
        '169.254.169.254 80: ENETUNREACH',
        '1.1.1.1 443: ENETUNREACH',
        '::1 6379: ECONNREFUSED',
        '2606:4700:4700::1111 443: ENETUNREACH',
        '',
      ].join('\n'),
    });
  });

  it('cannot send UDP out of the run or resolve names', async () => {
    const host = hostAddress();
    const r = await runProgram(sandbox, await scriptProgram('net_udp.py', host));
    expect(outcome(r)).toMatchObject({
      verdict: 'ok',
      exitCode: 0,
      stdout: [
        '8.8.8.8 53: ENETUNREACH',
        `${host} 53: ENETUNREACH`,
        '2001:4860:4860::8888 53: ENETUNREACH',
        'dns: failed',
        '',
      ].join('\n'),
    });
  });

  it('cannot open raw or packet sockets', async () => {
    const r = await runProgram(sandbox, await scriptProgram('net_raw.py'));
    expect(outcome(r)).toMatchObject({
      verdict: 'ok',
      exitCode: 0,
      stdout: 'raw ipv4: EPERM\nraw ipv6: EPERM\nraw tcp: EPERM\npacket: EPERM\n',
    });
  });

  it('cannot reach host unix sockets, by path or in the abstract namespace', async () => {
    const id = randomBytes(6).toString('hex');
    const abstractName = `remcode-test-${id}`;
    const hostSocket = `/tmp/remcode-test-${id}.sock`;
    const listen = (path: string): Promise<Server> =>
      new Promise((resolve, reject) => {
        const server = createServer((s) => s.end('host socket reached\n'));
        server.once('error', reject);
        server.listen(path, () => resolve(server));
      });
    const servers = [await listen(`\0${abstractName}`), await listen(hostSocket)];
    try {
      const r = await runProgram(sandbox, await scriptProgram('net_unix.py', hostSocket, abstractName));
      expect(outcome(r)).toMatchObject({
        verdict: 'ok',
        exitCode: 0,
        stdout: [
          '/var/run/postgresql/.s.PGSQL.5432: ENOENT',
          '/run/postgresql/.s.PGSQL.5432: ENOENT',
          '/tmp/.s.PGSQL.5432: ENOENT',
          '/run/redis/redis-server.sock: ENOENT',
          '/var/run/redis/redis-server.sock: ENOENT',
          '/var/run/docker.sock: ENOENT',
          '/run/dbus/system_bus_socket: ENOENT',
          '/run/systemd/private: ENOENT',
          `${hostSocket}: ENOENT`,
          `@${abstractName}: ECONNREFUSED`,
          '',
        ].join('\n'),
      });
    } finally {
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
      await rm(hostSocket, { force: true });
    }
  });

  it("cannot reach another slot's run over loopback TCP or an abstract unix socket", async () => {
    const port = '7777';
    const name = `remcode-peer-${randomBytes(6).toString('hex')}`;
    const server = await scriptProgram('peer_server.py', port, name);
    await withWorkspace(sandbox, async (ws) => {
      await ws.writeFiles(server.files);
      let ready!: () => void;
      const listening = new Promise<void>((resolve) => (ready = resolve));
      const serving = ws.run(
        request(server.argv, {
          // As above: the server's two-second life must not meet the suite's wall limit.
          limits: { wallTimeMs: 10_000 },
          onOutput: (stream, chunk) => {
            if (stream === 'stdout' && chunk.toString().includes('listening')) ready();
          },
        }),
      );
      await listening;
      const r = await runProgram(sandbox, await scriptProgram('peer_client.py', port, name));
      expect(outcome(r)).toMatchObject({
        verdict: 'ok',
        exitCode: 0,
        stdout: 'tcp: ECONNREFUSED\nabstract: ECONNREFUSED\n',
      });
      expect(outcome(await serving)).toMatchObject({ verdict: 'ok', exitCode: 0, stdout: 'listening\n' });
    });
  });

  it('still has a working loopback inside the run', async () => {
    const r = await runProgram(sandbox, await scriptProgram('net_loopback.py'));
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0, stdout: 'loopback: ping\n' });
  });
});

// ---------------------------------------------------------------------------------------------------
describe('privileges, processes outside the run, namespaces', () => {
  it('runs as the slot uid with no capabilities, no_new_privs and a seccomp filter, and cannot become root', async () => {
    const r = await runProgram(sandbox, c('identity'));
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
    const [ids = '', ...rest] = lines(r.stdout);
    const [, uid, euid, , gid, egid] = ids.split(' ').map(Number);
    expect(uid).toSatisfy(sandboxUid());
    expect([euid, gid, egid]).toEqual([uid, uid, uid]);
    expect(rest).toEqual([
      'groups:',
      'no_new_privs: 1',
      'CapInh:\t0000000000000000',
      'CapPrm:\t0000000000000000',
      'CapEff:\t0000000000000000',
      'CapBnd:\t0000000000000000',
      'CapAmb:\t0000000000000000',
      'Seccomp:\t2',
      'setuid(0): EPERM',
      'setgid(0): EPERM',
      'setgroups: EPERM',
      'sethostname: EPERM',
    ]);
  });

  it("leaves the box's init without any capability while the program runs", async () => {
    await withWorkspace(sandbox, async (ws) => {
      let ready!: () => void;
      const started = new Promise<void>((resolve) => (ready = resolve));
      const run = ws.run(
        request(['/bin/sh', '-c', 'echo up; exec sleep 1'], {
          onOutput: (stream, chunk) => {
            if (stream === 'stdout' && chunk.toString().includes('up')) ready();
          },
        }),
      );
      await started;
      expect(await boxInitCapabilities()).toEqual([INIT_WITHOUT_CAPABILITIES]);
      expect(outcome(await run)).toMatchObject({ verdict: 'ok', exitCode: 0, stdout: 'up\n' });
    });
  });

  it('hands no inheritable or ambient capability of the executor on to the box or the program', async () => {
    // A helper started with capabilities in its inheritable and ambient sets, as a careless container
    // or service manager might start the executor.
    const dir = await mkdtemp(join(tmpdir(), 'remcode-inherit-'));
    const wrapper = join(dir, 'sandboxd');
    const helper = fileURLToPath(
      new URL('../../executor/sandbox/native/build/remcode-sandboxd', import.meta.url),
    );
    await writeFile(
      wrapper,
      `#!/bin/sh\nexec setpriv --inh-caps=+kill,+net_admin,+sys_admin --ambient-caps=+kill,+net_admin,+sys_admin -- ${helper} "$@"\n`,
      { mode: 0o755 },
    );
    const uid = UID_BASE + 50;
    const inheriting = await createSandbox({
      slots: 1,
      uidBase: uid,
      cgroupName: `${CGROUP_NAME}-inherit`,
      helperPath: wrapper,
    });
    try {
      const identity = await runProgram(inheriting, c('identity'));
      expect(outcome(identity)).toMatchObject({ verdict: 'ok', exitCode: 0 });
      expect(lines(identity.stdout).filter((l) => l.startsWith('Cap'))).toEqual([
        'CapInh:\t0000000000000000',
        'CapPrm:\t0000000000000000',
        'CapEff:\t0000000000000000',
        'CapBnd:\t0000000000000000',
        'CapAmb:\t0000000000000000',
      ]);
      await withWorkspace(inheriting, async (ws) => {
        let ready!: () => void;
        const started = new Promise<void>((resolve) => (ready = resolve));
        const run = ws.run(
          request(['/bin/sh', '-c', 'echo up; exec sleep 1'], {
            onOutput: (stream, chunk) => {
              if (stream === 'stdout' && chunk.toString().includes('up')) ready();
            },
          }),
        );
        await started;
        expect(await boxInitCapabilities([uid])).toEqual([INIT_WITHOUT_CAPABILITIES]);
        expect(outcome(await run)).toMatchObject({ verdict: 'ok', exitCode: 0 });
      });
    } finally {
      await inheriting.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('mounts the box its own /proc with only its own processes and none of the kernel interfaces', async () => {
    const r = await runProgram(sandbox, c('proc_probe'));
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
    const hidden = Object.fromEntries(
      [
        '/proc/1/status',
        '/proc/kcore',
        '/proc/keys',
        '/proc/timer_list',
        '/proc/sched_debug',
        '/proc/latency_stats',
        '/proc/interrupts',
        '/proc/sysrq-trigger',
        '/proc/sys/kernel/core_pattern',
        '/proc/acpi',
        '/proc/scsi',
        '/proc/bus',
        '/proc/irq',
        '/proc/fs',
        '/proc/kallsyms',
        '/proc/modules',
        '/proc/meminfo',
      ].map((path) => [path, /^ENOENT$/]),
    );
    expect(
      mismatches(r.stdout, {
        '/proc proc': /^subset=pid yes, hidepid=invisible yes$/,
        entries: /^(self thread-self|thread-self self)$/,
        'processes of other uids': /^0$/,
        ...hidden,
      }),
    ).toEqual([]);
  });

  it('sets soft and hard rlimits to the requested values and refuses to raise them', async () => {
    const r = await runProgram(sandbox, c('rlimits'));
    expect(outcome(r)).toMatchObject({
      verdict: 'ok',
      exitCode: 0,
      stdout: [
        `FSIZE ${RUN_LIMITS.fileSizeBytes} ${RUN_LIMITS.fileSizeBytes}`,
        'raise FSIZE: EPERM',
        `NOFILE ${RUN_LIMITS.openFiles} ${RUN_LIMITS.openFiles}`,
        'raise NOFILE: EPERM',
        `STACK ${RUN_LIMITS.stackBytes} ${RUN_LIMITS.stackBytes}`,
        'raise STACK: EPERM',
        '',
      ].join('\n'),
    });
  });

  it('gains nothing from setuid-root programs (su, passwd, mount, newgrp, chsh)', async () => {
    const r = await runProgram(sandbox, await scriptProgram('setuid_bins.py'), {
      limits: { cpuTimeMs: 3000, wallTimeMs: 6000 },
    });
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
    const report = lines(r.stdout);
    expect(report.at(-1)).toBe('mounted: False');
    for (const line of report.slice(0, -1)) expect(line).toMatch(/^\w+: (refused|absent)$/);
    expect(report.filter((l) => l.endsWith('refused')).length).toBeGreaterThanOrEqual(3);
  });

  it("cannot reach the sandbox's own init: memory, environment, control channel, signals", async () => {
    const r = await runProgram(sandbox, c('init_probe'));
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
    const report = lines(r.stdout).filter((l) => !/^(pid |Name:|Uid:)/.test(l));
    // The box's /proc hides the init (hidepid=invisible): its files are not even there.
    expect(report).toContain('open /proc/1/mem: ENOENT');
    expect(report.filter((l) => /\bok\b/.test(l))).toEqual([]);
    for (const l of report) expect(l).toMatch(/(ENOENT|EACCES|EPERM)$/);
  });

  it('cannot ptrace or read the memory of another process', async () => {
    const r = await runProgram(sandbox, c('ptrace_probe'));
    expect(outcome(r)).toMatchObject({
      verdict: 'ok',
      exitCode: 0,
      stdout: [
        'traceme: EPERM',
        'attach child: EPERM',
        'seize child: EPERM',
        'attach pid 1: EPERM',
        'process_vm_readv child: EPERM',
        'process_vm_writev child: EPERM',
        '',
      ].join('\n'),
    });
  });

  it('cannot signal the test runner or a run of another slot, not even with kill(-1)', async () => {
    await withWorkspace(sandbox, async (other) => {
      let ready!: () => void;
      const started = new Promise<void>((resolve) => (ready = resolve));
      const bystander = other.run(
        request(['/bin/sh', '-c', 'echo up; exec sleep 1'], {
          onOutput: (stream, chunk) => {
            if (stream === 'stdout' && chunk.toString().includes('up')) ready();
          },
        }),
      );
      await started;
      const r = await runProgram(sandbox, c('kill_probe', String(process.pid)));
      expect(outcome(r)).toMatchObject({
        verdict: 'ok',
        exitCode: 0,
        stdout: [
          'kill(runner, 0): ESRCH',
          'kill(runner, SIGKILL): ESRCH',
          'kill(-runner, SIGKILL): ESRCH',
          'kill(-1, SIGKILL): ESRCH',
          '',
        ].join('\n'),
      });
      expect(outcome(await bystander)).toMatchObject({ verdict: 'ok', exitCode: 0, stdout: 'up\n' });
    });
  });

  it('cannot mount, unmount, pivot_root or chroot', async () => {
    const r = await runProgram(sandbox, c('mount_probe'));
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
    expect(
      mismatches(r.stdout, {
        'mount tmpfs': /^(EPERM|ENOSYS)$/,
        'remount / rw': /^(EPERM|ENOSYS)$/,
        'bind /usr': /^(EPERM|ENOSYS)$/,
        'umount /proc': /^(EPERM|ENOSYS)$/,
        pivot_root: /^(EPERM|ENOSYS)$/,
        fsopen: /^(EPERM|ENOSYS)$/,
        'open_tree clone': /^(EPERM|ENOSYS)$/,
        chroot: /^EPERM$/,
      }),
    ).toEqual([]);
  });

  it('cannot create namespaces, yet fork and pthread_create still work', async () => {
    const r = await runProgram(sandbox, c('userns_probe'));
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
    expect(
      mismatches(r.stdout, {
        'unshare user': /^(EPERM|ENOSYS)$/,
        'unshare mount': /^(EPERM|ENOSYS)$/,
        'unshare net': /^(EPERM|ENOSYS)$/,
        'clone user': /^EPERM$/,
        'clone pid': /^EPERM$/,
        'clone3 user': /^(EPERM|ENOSYS)$/,
        'setns own user ns': /^(EPERM|ENOSYS)$/,
        fork: /^ok$/,
        pthread_create: /^ok$/,
      }),
    ).toEqual([]);
  });

  it('cannot loosen its own limits through cgroup files, oom_score_adj or /proc/sys', async () => {
    const r = await runProgram(sandbox, c('cgroup_escape'));
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
    expect(
      mismatches(r.stdout, {
        '/sys/fs/cgroup/memory/memory.limit_in_bytes': /^(ENOENT|EACCES|EROFS)$/,
        '/sys/fs/cgroup/memory.max': /^(ENOENT|EACCES|EROFS)$/,
        '/proc/self/oom_score_adj': /^EACCES$/,
        '/proc/sys/kernel/pid_max': /^(ENOENT|EACCES|EROFS)$/,
        '/proc/sys/vm/drop_caches': /^(ENOENT|EACCES|EROFS)$/,
        '/proc/sysrq-trigger': /^(EACCES|EROFS|ENOENT)$/,
      }),
    ).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------
describe('seccomp', () => {
  const blocked = [
    'io_uring_setup',
    'io_uring_enter',
    'io_uring_register',
    'bpf',
    'perf_event_open',
    'userfaultfd',
    'keyctl',
    'add_key',
    'request_key',
    'mount',
    'umount2',
    'pivot_root',
    'fsopen',
    'fsmount',
    'move_mount',
    'open_tree',
    'unshare',
    'setns',
    'ptrace',
    'process_vm_readv',
    'process_vm_writev',
    'kexec_load',
    'kexec_file_load',
    'init_module',
    'finit_module',
    'delete_module',
    'settimeofday',
    'clock_settime',
    'adjtimex',
    'clock_adjtime',
    'reboot',
    'swapon',
    'swapoff',
    'acct',
    'quotactl',
    'name_to_handle_at',
    'open_by_handle_at',
    'modify_ldt',
    'vmsplice',
    'mbind',
    'set_mempolicy',
    'get_mempolicy',
    'migrate_pages',
    'move_pages',
    'personality_no_aslr',
    'personality_read_implies_exec',
    'personality_linux32',
    'personality_high_bits',
  ];

  it.each(blocked)('makes %s fail with EPERM or ENOSYS', async (name) => {
    const r = await runProgram(sandbox, c('syscall_probe', name));
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
    expect(r.stdout.toString()).toMatch(/^(EPERM|ENOSYS)\n$/);
  });

  it.each(['personality_query', 'personality_linux'])('still allows %s', async (name) => {
    const r = await runProgram(sandbox, c('syscall_probe', name));
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0, stdout: 'ok\n' });
  });

  it('allows only unix, TCP and UDP sockets: vsock, alg, tipc, rds, sctp, dccp and netlink fail with EPERM', async () => {
    const r = await runProgram(sandbox, c('socket_probe'));
    expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
    const allowed = [
      'unix stream',
      'unix dgram',
      'unix seqpacket',
      'unix pair',
      'tcp',
      'tcp by name',
      'udp',
      'tcp6',
      'udp6 by name',
    ];
    const refused = [
      'vsock',
      'alg',
      'tipc',
      'rds',
      'kcm',
      'packet',
      'bluetooth',
      'can',
      'xdp',
      'sctp',
      'sctp seqpacket',
      'dccp',
      'dccp by type',
      'mptcp',
      'udplite',
      'icmp ping',
      'netlink route',
      'tipc pair',
      'inet pair',
      'uevent bind',
    ];
    // EPERM is the filter's answer; a family the kernel lacks would say EAFNOSUPPORT instead.
    const expected: Record<string, RegExp> = {};
    for (const name of allowed) expected[name] = /^ok$/;
    for (const name of refused) expected[name] = /^EPERM$/;
    expect(mismatches(r.stdout, expected)).toEqual([]);
  });

  it.each(['int80', 'x32'])('kills a process entering the kernel through the %s ABI', async (abi) => {
    const r = await runProgram(sandbox, c('abi32', abi));
    expect(outcome(r)).toMatchObject({ verdict: 'runtime_error', exitCode: null, stdout: '' });
    // A kernel built or booted without 32-bit emulation has no int 0x80 entry: the instruction itself
    // faults with SIGSEGV on the host too, before any filter could see it. Elsewhere the filter kills.
    const host = await runOnHost(bins, 'abi32', abi);
    const expected = host.signal === 'SIGSEGV' ? ['SIGSEGV'] : ['SIGSYS', 'SIGKILL'];
    expect(expected).toContain(r.signal);
  });
});

// ---------------------------------------------------------------------------------------------------
describe('devices', () => {
  it('offers only null, zero, full, random and urandom, and cannot create device nodes', async () => {
    const r = await runProgram(sandbox, c('devices'));
    expect(outcome(r)).toMatchObject({
      verdict: 'ok',
      exitCode: 0,
      stdout: [
        'mknod char 1:3: EPERM',
        'mknod block 253:0: EPERM',
        'open /dev/vda: ENOENT',
        'open /dev/sda: ENOENT',
        'open /dev/mem: ENOENT',
        'open /dev/kmem: ENOENT',
        'open /dev/port: ENOENT',
        'open /dev/kmsg: ENOENT',
        'open /dev/tty: ENOENT',
        'open /dev/console: ENOENT',
        'open /dev/fuse: ENOENT',
        'open /dev/net/tun: ENOENT',
        'open /dev/loop0: ENOENT',
        'open /dev/ptmx: ENOENT',
        'write /dev/full: ENOSPC',
        'read /dev/urandom: ok',
        'device nodes: full null random urandom zero',
        '',
      ].join('\n'),
    });
  });
});

// ---------------------------------------------------------------------------------------------------
describe('paths the host reads or writes later', () => {
  it('snapshots only regular files: no symlink followed to host files, no hang on a FIFO', async () => {
    const passwdBefore = createHash('sha256')
      .update(await readFile('/etc/passwd'))
      .digest('hex');
    const shadow = await readFile('/etc/shadow', 'utf8');
    await withWorkspace(sandbox, async (ws) => {
      const program = c('links');
      await ws.writeFiles(program.files);
      const r = await ws.run(request(program.argv));
      expect(outcome(r)).toMatchObject({
        verdict: 'ok',
        exitCode: 0,
        stdout: [
          'mkfifo: ok',
          'bind socket: ok',
          'hardlink inside /box: ok',
          'hardlink /etc/passwd: EXDEV',
          'hardlink /usr/bin/su: EXDEV',
          '',
        ].join('\n'),
      });
      const files = await withTimeout(ws.snapshot(4 * MiB), 10_000, 'snapshot');
      expect(files.map((f) => f.path).sort()).toEqual(['links', 'regular.txt', 'sub/hardlink.txt']);
      for (const f of files) {
        const text = Buffer.from(f.content).toString('latin1');
        expect(text).not.toContain(SECRET);
        if (shadow.length > 0) expect(text).not.toContain(shadow.split('\n')[0]);
      }
      expect(Buffer.from(files.find((f) => f.path === 'regular.txt')?.content ?? []).toString()).toBe(
        'regular\n',
      );
    });
    expect(
      createHash('sha256')
        .update(await readFile('/etc/passwd'))
        .digest('hex'),
    ).toBe(passwdBefore);
  });

  it('never returns two snapshot files under one path, whatever bytes the file names hold', async () => {
    await withWorkspace(sandbox, async (ws) => {
      const script =
        'cd /box && printf 1 > "$(printf "bad\\377name")" && printf 2 > "$(printf "bad\\376name")" && echo good > good.txt';
      const r = await ws.run(request(['/bin/sh', '-c', script]));
      expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
      const paths = (await ws.snapshot(1 * MiB)).map((f) => f.path);
      expect(paths).toContain('good.txt');
      expect(new Set(paths).size).toBe(paths.length);
    });
  });

  it('leaves out file names that are not strict UTF-8: overlong forms, surrogates, beyond U+10FFFF', async () => {
    // Octal escapes for printf; each invalid name would decode to a name of its own, or to a valid one.
    const valid = {
      'v-caf\\303\\251': 'v-café',
      'v-\\342\\202\\254': 'v-€',
      'v-\\360\\237\\230\\200': 'v-\u{1F600}',
      'v-\\364\\217\\277\\277': 'v-\u{10FFFF}',
      'v-\\355\\237\\277': 'v-\uD7FF',
      'v-\\356\\200\\200': 'v-\uE000',
    };
    const invalid = [
      'x-\\300\\257', // overlong '/', two bytes
      'x-\\301\\241', // overlong 'a', two bytes
      'x-\\340\\201\\241', // overlong 'a', three bytes
      'x-\\340\\237\\277', // overlong U+07FF
      'x-\\360\\200\\201\\241', // overlong 'a', four bytes
      'x-\\360\\217\\277\\277', // overlong U+FFFF
      'x-\\355\\240\\200', // U+D800, a high surrogate
      'x-\\355\\277\\277', // U+DFFF, a low surrogate
      'x-\\355\\240\\275\\355\\270\\200', // a surrogate pair spelled as CESU-8
      'x-\\364\\220\\200\\200', // U+110000
      'x-\\367\\277\\277\\277', // F7: beyond U+10FFFF
      'x-\\370\\210\\200\\200\\200', // a five-byte form
      'x-\\342\\202', // cut short
      'x-\\200', // a lone continuation byte
    ];
    const script = [
      'cd /box',
      'echo plain > plain.txt',
      ...Object.keys(valid).map((name) => `printf 1 > "$(printf '${name}')"`),
      ...invalid.map((name) => `printf 2 > "$(printf '${name}')"`),
      // A directory with an invalid name is left out with everything in it.
      `mkdir "$(printf 'd-\\355\\240\\200')" && echo inner > "$(printf 'd-\\355\\240\\200')/inner.txt"`,
      `ls | wc -l`,
    ].join(' && ');
    await withWorkspace(sandbox, async (ws) => {
      const r = await ws.run(request(['/bin/sh', '-c', script]));
      expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0, stdout: `${2 + 6 + invalid.length}\n` });
      const paths = (await ws.snapshot(1 * MiB)).map((f) => f.path);
      expect(paths.sort()).toEqual(['plain.txt', ...Object.values(valid)].sort());
    });
  });

  it('never returns more than maxBytes from a snapshot', async () => {
    await withWorkspace(sandbox, async (ws) => {
      const r = await ws.run(
        request(['/bin/sh', '-c', 'head -c 3000000 /dev/zero > /box/big; echo small > /box/small']),
      );
      expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
      const snapshot = await ws.snapshot(1 * MiB).then(
        (files) => ({ files }),
        (error: unknown) => ({ error }),
      );
      if ('files' in snapshot) {
        const total = snapshot.files.reduce((n, f) => n + f.content.byteLength, 0);
        expect(total).toBeLessThanOrEqual(1 * MiB);
      } else {
        expect(snapshot.error).toBeInstanceOf(Error);
      }
    });
  });

  it('writes the next job into a fresh workspace, not through symlinks a previous job planted', async () => {
    const victim = `/etc/remcode-victim-${randomBytes(6).toString('hex')}`;
    const passwdBefore = await readFile('/etc/passwd');
    const plant = [
      '/bin/sh',
      '-c',
      'ln -s "$1" /box/main.py; ln -s /etc/passwd /box/input.txt',
      'sh',
      victim,
    ];
    // Both slots at once, so whichever slot the next jobs get, it held a planted workspace.
    await Promise.all(
      Array.from({ length: SLOTS }, () =>
        withWorkspace(sandbox, async (ws) => {
          expect(outcome(await ws.run(request(plant)))).toMatchObject({ verdict: 'ok', exitCode: 0 });
        }),
      ),
    );
    const files: WorkspaceFile[] = [
      { path: 'main.py', content: Buffer.from('print("next job")\n') },
      { path: 'input.txt', content: Buffer.from('input\n') },
    ];
    const results = await Promise.all(
      Array.from({ length: SLOTS }, () =>
        withWorkspace(sandbox, async (ws) => {
          await ws.writeFiles(files);
          return ws.run(request(['/bin/cat', '/box/main.py', '/box/input.txt']));
        }),
      ),
    );
    for (const r of results) {
      expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0, stdout: 'print("next job")\ninput\n' });
    }
    await expect(readFile(victim)).rejects.toThrow(/ENOENT/);
    expect((await readFile('/etc/passwd')).equals(passwdBefore)).toBe(true);
  });

  it.each([
    ['/etc', '/box/etc-link'],
    ['/proc/1/fd', '/box/init-fds'],
  ])('does not start a run in %s through a cwd symlink an earlier run planted', async (target, link) => {
    await withWorkspace(sandbox, async (ws) => {
      const plant = await ws.run(request(['/bin/ln', '-s', target, link]));
      expect(outcome(plant)).toMatchObject({ verdict: 'ok', exitCode: 0 });
      const attempt = await ws
        .run(request(['/bin/pwd', '-P'], { cwd: link }))
        .catch((error: unknown) => error);
      if (attempt instanceof Error) {
        expect(attempt).toBeInstanceOf(SandboxRequestError);
      } else {
        const r = attempt as RunResult;
        if (r.verdict !== 'internal_error') expect(r.stdout.toString()).toMatch(/^\/box(\/|\n)/);
      }
    });
  });

  it('refuses writeFiles after the first run, when the run may have planted symlinks', async () => {
    await withWorkspace(sandbox, async (ws) => {
      const r = await ws.run(request(['/bin/ln', '-s', '/etc', '/box/etc']));
      expect(outcome(r)).toMatchObject({ verdict: 'ok', exitCode: 0 });
      await expect(
        ws.writeFiles([{ path: 'etc/remcode-planted', content: Buffer.from('x') }]),
      ).rejects.toThrow(SandboxRequestError);
    });
    await expect(readFile('/etc/remcode-planted')).rejects.toThrow(/ENOENT/);
  });

  it.each(['../escape', '/etc/remcode-escape', 'a/../../escape', 'a//b', './a'])(
    'refuses the workspace path %j',
    async (path) => {
      await withWorkspace(sandbox, async (ws) => {
        await expect(ws.writeFiles([{ path, content: Buffer.from('x') }])).rejects.toThrow(
          SandboxRequestError,
        );
      });
    },
  );

  it('refuses setuid and setgid bits in file modes', async () => {
    await withWorkspace(sandbox, async (ws) => {
      await expect(
        ws.writeFiles([{ path: 'suid', content: bins.get('identity') ?? Buffer.alloc(0), mode: 0o4755 }]),
      ).rejects.toThrow(SandboxRequestError);
      await expect(
        ws.writeFiles([{ path: 'sgid', content: Buffer.from('x'), mode: 0o2755 }]),
      ).rejects.toThrow(SandboxRequestError);
    });
  });
});

// ---------------------------------------------------------------------------------------------------
describe('output', () => {
  const cap = RUN_LIMITS.outputBytes;

  function only(buf: Buffer, byte: string): boolean {
    return buf.every((b) => b === byte.charCodeAt(0));
  }

  it('caps a flood on both streams at exactly outputBytes per stream', async () => {
    const r = await runProgram(sandbox, c('flood', 'both'));
    expect(r.verdict).toBe('output_limit_exceeded');
    expect(r.stdoutTruncated || r.stderrTruncated).toBe(true);
    if (r.stdoutTruncated) expect(r.stdout.length).toBe(cap);
    if (r.stderrTruncated) expect(r.stderr.length).toBe(cap);
    expect(r.stdout.length).toBeLessThanOrEqual(cap);
    expect(r.stderr.length).toBeLessThanOrEqual(cap);
    expect(only(r.stdout, 'o')).toBe(true);
    expect(only(r.stderr, 'e')).toBe(true);
  });

  it('caps a stderr-only flood and leaves stdout untouched', async () => {
    const r = await runProgram(sandbox, c('flood', 'stderr'));
    expect(r).toMatchObject({
      verdict: 'output_limit_exceeded',
      stdoutTruncated: false,
      stderrTruncated: true,
    });
    expect(r.stdout.length).toBe(0);
    expect(r.stderr.length).toBe(cap);
    expect(only(r.stderr, 'e')).toBe(true);
  });

  it('accepts output of exactly outputBytes', async () => {
    const r = await runProgram(sandbox, c('flood', 'exact', String(cap)));
    expect(r).toMatchObject({ verdict: 'ok', exitCode: 0, stdoutTruncated: false });
    expect(r.stdout.length).toBe(cap);
  });

  it('turns one byte over outputBytes into output_limit_exceeded, keeping exactly outputBytes', async () => {
    const r = await runProgram(sandbox, c('flood', 'exact', String(cap + 1)));
    expect(r).toMatchObject({ verdict: 'output_limit_exceeded', stdoutTruncated: true });
    expect(r.stdout.length).toBe(cap);
  });

  it('keeps binary and invalid UTF-8 output byte for byte on both streams', async () => {
    const r = await runProgram(sandbox, c('binary_out'));
    const expected = Buffer.concat([
      Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
      Buffer.from([0x80, 0xbf, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98, 0xff, 0xfe]),
    ]);
    expect(r).toMatchObject({ verdict: 'ok', exitCode: 0 });
    expect(r.stdout.equals(expected)).toBe(true);
    expect(r.stderr.equals(Buffer.from(expected).reverse())).toBe(true);
  });

  it('passes binary stdin through unchanged', async () => {
    const input = Buffer.concat([randomBytes(100 * KiB), Buffer.from([0xff, 0xfe, 0x00, 0xc0, 0x80])]);
    const r = await runProgram(
      sandbox,
      { files: [], argv: ['/bin/cat'] },
      { stdin: input, limits: { outputBytes: 1 * MiB } },
    );
    expect(r).toMatchObject({ verdict: 'ok', exitCode: 0, stdoutTruncated: false });
    expect(r.stdout.equals(input)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------
describe('compiler bombs under compile limits', () => {
  async function compile(source: string, argv: string[]): Promise<RunResult> {
    return withWorkspace(
      sandbox,
      async (ws) => {
        await ws.writeFiles([await sourceFile(source)]);
        return ws.run({ argv, env: SANDBOX_ENV, limits: COMPILE_LIMITS });
      },
      128 * MiB,
    );
  }

  it('stops gcc reading #include </dev/zero> with memory_limit_exceeded', async () => {
    const r = await compile('compile_dev_zero.c', [
      '/usr/bin/gcc',
      '-c',
      'compile_dev_zero.c',
      '-o',
      'out.o',
    ]);
    expect(r.verdict).toBe('memory_limit_exceeded');
  });

  it('reports runaway template recursion as a compile error at the default depth', async () => {
    const r = await compile('compile_template_recursion.cpp', [
      '/usr/bin/g++',
      '-c',
      'compile_template_recursion.cpp',
      '-o',
      'out.o',
    ]);
    expect(outcome(r)).toMatchObject({ verdict: 'runtime_error', exitCode: 1, signal: null });
    expect(r.stderr.toString()).toContain('template instantiation depth exceeds maximum of 900');
  });

  it('stops template recursion with the depth limit lifted at the stack limit', async () => {
    const r = await compile('compile_template_recursion.cpp', [
      '/usr/bin/g++',
      '-ftemplate-depth=1000000',
      '-c',
      'compile_template_recursion.cpp',
      '-o',
      'out.o',
    ]);
    expect(outcome(r)).toMatchObject({ verdict: 'runtime_error', exitCode: 4, signal: null });
    expect(r.stderr.toString()).toContain('Segmentation fault signal terminated program cc1plus');
  });

  it('stops a 1 GiB initialised static array at fileSizeBytes (as dies of SIGXFSZ)', async () => {
    const r = await compile('compile_huge_array.c', [
      '/usr/bin/gcc',
      '-c',
      'compile_huge_array.c',
      '-o',
      'out.o',
    ]);
    expect(outcome(r)).toMatchObject({ verdict: 'runtime_error', exitCode: 4, signal: null });
    expect(r.stderr.toString()).toContain('File size limit exceeded signal terminated program as');
  });

  it('reports a self-including file as a compile error', async () => {
    const r = await compile('compile_include_self.c', [
      '/usr/bin/gcc',
      '-c',
      'compile_include_self.c',
      '-o',
      'out.o',
    ]);
    expect(outcome(r)).toMatchObject({ verdict: 'runtime_error', exitCode: 1, signal: null });
    expect(r.stderr.toString()).toContain('#include nested depth 200 exceeds maximum of 200');
  });
});
