import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSandbox,
  SandboxClosedError,
  SandboxCrashedError,
  SandboxRequestError,
  SandboxUnavailableError,
  type Sandbox,
  type Workspace,
} from './index.js';
import { runCgroupParents } from '../../test/support/cgroups.js';
import { MiB, TEST_RUN_LIMITS } from '../../test/support/run-limits.js';

const limits = TEST_RUN_LIMITS;
const env = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' };
const py = (code: string) => ({ argv: ['/usr/bin/python3', '-c', code], env, limits });

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await createSandbox({ slots: 2 });
});
afterAll(async () => {
  await sandbox.close();
});

async function withWorkspace<T>(fn: (ws: Workspace) => Promise<T>): Promise<T> {
  const ws = await sandbox.acquire({ sizeBytes: 32 * MiB });
  try {
    return await fn(ws);
  } finally {
    await ws.release();
  }
}

function helperPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        return (
          stat.includes('(remcode-sandbox') && Number(stat.split(') ')[1]!.split(' ')[1]) === process.pid
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('sandbox runs', () => {
  it('feeds stdin, returns stdout, and passes exactly the given environment', async () => {
    const r = await withWorkspace((ws) =>
      ws.run({
        ...py('import os,sys; print(sys.stdin.read().upper(), os.getuid() >= 61000, sorted(os.environ))'),
        stdin: Buffer.from('abc'),
      }),
    );
    expect(r.verdict).toBe('ok');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toBe("ABC True ['LANG', 'PATH']\n");
    expect(r.memoryBytes).toBeGreaterThan(0);
    expect(r.cpuTimeMs).toBeGreaterThan(0);
  });

  it('compiles and runs in the same workspace, which persists between runs of a job', async () => {
    await withWorkspace(async (ws) => {
      await ws.writeFiles([
        { path: 'src/main.c', content: Buffer.from('#include <stdio.h>\nint main(){puts("built");}\n') },
      ]);
      const compile = await ws.run({
        argv: ['gcc', '-O0', '-o', 'main', 'src/main.c'],
        env,
        limits: { ...limits, processes: 64 },
      });
      expect(compile.verdict, compile.stderr.toString()).toBe('ok');
      const run = await ws.run({ argv: ['./main'], env, limits });
      expect(run.stdout.toString()).toBe('built\n');
    });
  });

  it('runs the run after a followed one in a fresh box of its own, built while the first ran', async () => {
    // Each run prints its box's mount namespace, whether the last run's /tmp and workspace files are
    // there, and when its box's /dev was made (a tmpfs the box fills while it builds its root); then,
    // halfway through a pause that leaves the helper time to build the next box, the time. The halves
    // keep both answers far from the coarse clock that stamps files (a few milliseconds).
    const probe = py(
      "import os, time; print(os.readlink('/proc/self/ns/mnt'), os.path.exists('/tmp/left'), os.path.exists('/box/kept'), os.stat('/dev').st_mtime_ns); open('/tmp/left', 'w').close(); open('/box/kept', 'w').close(); time.sleep(0.15); print(time.time_ns()); time.sleep(0.15)",
    );
    await withWorkspace(async (ws) => {
      const first = await ws.run({ ...probe, followedByRun: true });
      const second = await ws.run(probe);
      const [firstLine = '', firstHalfway = ''] = first.stdout.toString().trim().split('\n');
      const [secondLine = ''] = second.stdout.toString().trim().split('\n');
      const [firstNs, firstTmp, firstBox] = firstLine.split(' ');
      const [secondNs, secondTmp, secondBox, secondBuilt = ''] = secondLine.split(' ');
      expect([first.verdict, second.verdict]).toEqual(['ok', 'ok']);
      expect([firstTmp, firstBox]).toEqual(['False', 'False']);
      // The workspace carries over; the box and its /tmp do not.
      expect([secondTmp, secondBox]).toEqual(['False', 'True']);
      // The kernel reuses a namespace's number once the namespace is gone, so a box built after the
      // first one ended may well show its number; only one built while the first still ran cannot.
      expect(secondNs).not.toBe(firstNs);
      // The second box was built while the first run went on, not after its answer.
      expect(BigInt(secondBuilt)).toBeLessThan(BigInt(firstHalfway));
    });
  });

  it('stops a CPU loop at the CPU limit, summed over threads', async () => {
    const r = await withWorkspace((ws) =>
      ws.run({ ...py('while True: pass'), limits: { ...limits, cpuTimeMs: 300 } }),
    );
    expect(r.verdict).toBe('time_limit_exceeded');
    expect(r.timeLimit).toBe('cpu');
    expect(r.cpuTimeMs).toBeGreaterThanOrEqual(300);
  });

  it('stops a sleeper at the wall limit', async () => {
    const r = await withWorkspace((ws) =>
      ws.run({ ...py('import time; time.sleep(30)'), limits: { ...limits, wallTimeMs: 300 } }),
    );
    expect(r.verdict).toBe('time_limit_exceeded');
    expect(r.timeLimit).toBe('wall');
  });

  it('reports a memory verdict when the cgroup limit is hit', async () => {
    const r = await withWorkspace((ws) =>
      ws.run({
        ...py('x = bytearray(200 * 1024 * 1024); print(len(x))'),
        limits: { ...limits, memoryBytes: 64 * MiB },
      }),
    );
    expect(r.verdict).toBe('memory_limit_exceeded');
    expect(r.stdout.length).toBe(0);
  });

  it('keeps exactly the output limit, streams the same bytes, and ends the run', async () => {
    const chunks: Buffer[] = [];
    const r = await withWorkspace((ws) =>
      ws.run({
        ...py('import sys\nwhile True: sys.stdout.write("x" * 4096)'),
        limits: { ...limits, outputBytes: 10_000 },
        onOutput: (stream, chunk) => stream === 'stdout' && chunks.push(chunk),
      }),
    );
    expect(r.verdict).toBe('output_limit_exceeded');
    expect(r.stdoutTruncated).toBe(true);
    expect(r.stdout.length).toBe(10_000);
    expect(Buffer.concat(chunks).equals(r.stdout)).toBe(true);
  });

  it('reports a non-zero exit and a crash by signal as runtime errors', async () => {
    await withWorkspace(async (ws) => {
      const exit = await ws.run(py('import sys; sys.exit(3)'));
      expect(exit).toMatchObject({ verdict: 'runtime_error', exitCode: 3, signal: null });
      const crash = await ws.run(py('import os, signal; os.kill(os.getpid(), signal.SIGSEGV)'));
      expect(crash).toMatchObject({ verdict: 'runtime_error', exitCode: null, signal: 'SIGSEGV' });
    });
  });

  it('says which program could not be executed', async () => {
    const r = await withWorkspace((ws) => ws.run({ argv: ['no-such-compiler'], env, limits }));
    expect(r.verdict).toBe('internal_error');
    expect(r.error).toBe("cannot execute 'no-such-compiler': no such file");
  });

  it('cancels a running program through its AbortSignal', async () => {
    const controller = new AbortController();
    const r = await withWorkspace((ws) => {
      setTimeout(() => controller.abort(), 200);
      return ws.run({ ...py('import time; time.sleep(30)'), signal: controller.signal });
    });
    expect(r.verdict).toBe('internal_error');
    expect(r.error).toBe('cancelled');
  });
});

describe('workspace files', () => {
  it('rejects paths that escape or are empty', async () => {
    await withWorkspace(async (ws) => {
      for (const path of ['../x', '/etc/passwd', 'a//b', './a', 'a/../b', '']) {
        await expect(ws.writeFiles([{ path, content: Buffer.from('x') }])).rejects.toBeInstanceOf(
          SandboxRequestError,
        );
      }
    });
  });

  it('refuses to place files once code has run in the workspace', async () => {
    await withWorkspace(async (ws) => {
      await ws.run(py('pass'));
      await expect(ws.writeFiles([{ path: 'late.txt', content: Buffer.from('x') }])).rejects.toThrow(
        /before the first run/,
      );
    });
  });

  it('reports a file larger than the workspace as too large', async () => {
    const ws = await sandbox.acquire({ sizeBytes: 64 * 1024 });
    try {
      await expect(ws.writeFiles([{ path: 'big', content: Buffer.alloc(256 * 1024) }])).rejects.toMatchObject(
        { code: 'too_large' },
      );
    } finally {
      await ws.release();
    }
  });

  it('snapshots regular files only: planted symlinks and FIFOs are skipped, not followed', async () => {
    const files = await withWorkspace(async (ws) => {
      await ws.writeFiles([{ path: 'main.py', content: Buffer.from('print(1)') }]);
      const r = await ws.run(
        py(
          "import os; os.symlink('/etc/passwd', 'link'); os.mkfifo('fifo'); os.makedirs('out'); open('out/a.bin','wb').write(bytes([0,255]))",
        ),
      );
      expect(r.verdict).toBe('ok');
      return ws.snapshot(MiB);
    });
    const byPath = Object.fromEntries(files.map((f) => [f.path, Buffer.from(f.content)]));
    expect(Object.keys(byPath).sort()).toEqual(['main.py', 'out/a.bin']);
    expect(byPath['out/a.bin']).toEqual(Buffer.from([0, 255]));
  });

  it('gives each job a fresh workspace', async () => {
    await withWorkspace((ws) =>
      ws.run(py("open('/box/left.txt','w').write('x'); open('/tmp/left.txt','w').write('x')")),
    );
    const r = await withWorkspace((ws) =>
      ws.run(py("import os; print(os.listdir('/box'), os.listdir('/tmp'))")),
    );
    expect(r.stdout.toString()).toBe('[] []\n');
  });
});

describe('the pool', () => {
  it('hands slots out in order and lets a waiter give up', async () => {
    const a = await sandbox.acquire({ sizeBytes: MiB });
    const b = await sandbox.acquire({ sizeBytes: MiB });
    expect(sandbox.busySlots()).toBe(2);
    const controller = new AbortController();
    const gaveUp = sandbox.acquire({ sizeBytes: MiB }, controller.signal);
    const waiting = sandbox.acquire({ sizeBytes: MiB });
    controller.abort(new Error('no longer needed'));
    await expect(gaveUp).rejects.toThrow('no longer needed');
    await a.release();
    const c = await waiting;
    await Promise.all([b.release(), c.release()]);
    expect(sandbox.busySlots()).toBe(0);
  });

  it('fills a standby slot while the slots run, and starts its run only when one ends', async () => {
    const own = await createSandbox({ slots: 1, standby: 2 });
    try {
      expect(own.info).toMatchObject({ slots: 1, standby: 2 });
      const acquire = () => own.acquire({ sizeBytes: MiB });
      const [a, b, c] = await Promise.all([acquire(), acquire(), acquire()]);
      expect(own.busySlots()).toBe(3);
      const span = 'import os, time; s = time.time(); time.sleep(0.3); print(s, time.time(), os.getuid())';
      const controller = new AbortController();
      const [first, second, withdrawn] = await Promise.allSettled([
        a.run(py(span)),
        b.run(py(span)),
        // Waits at the gate behind a and b in a third slot, then gives up before its turn.
        c.run({ ...py('print(1)'), signal: controller.signal }),
        new Promise((r) => setTimeout(r, 50)).then(() => controller.abort(new Error('not needed'))),
      ]);
      expect(withdrawn).toMatchObject({ status: 'rejected', reason: new Error('not needed') });
      const times = [first, second].map((r) => {
        if (r.status !== 'fulfilled') throw r.reason;
        return r.value.stdout.toString().trim().split(' ').map(Number) as [number, number, number];
      });
      const [[, end1, uid1], [start2, end2, uid2]] = times.sort((x, y) => x[0] - y[0]) as [
        [number, number, number],
        [number, number, number],
      ];
      expect(start2).toBeGreaterThanOrEqual(end1);
      expect(end2).toBeGreaterThan(start2);
      // Each slot, standby ones included, runs as its own user.
      expect(new Set([uid1, uid2]).size).toBe(2);
      await Promise.all([a.release(), b.release(), c.release()]);
      expect(own.busySlots()).toBe(0);
    } finally {
      await own.close();
    }
  });

  it('replaces a slot whose helper died mid-run and keeps serving', async () => {
    const others = new Set(helperPids());
    const own = await createSandbox({ slots: 1 });
    try {
      const ws = await own.acquire({ sizeBytes: MiB });
      const helper = helperPids().find((pid) => !others.has(pid));
      expect(helper).toBeDefined();
      const running = ws.run(py('import time; time.sleep(30)'));
      await new Promise((r) => setTimeout(r, 200));
      process.kill(helper!, 'SIGKILL');
      await expect(running).rejects.toBeInstanceOf(SandboxCrashedError);
      await ws.release();
      const again = await own.acquire({ sizeBytes: MiB });
      const r = await again.run(py('print(2)'));
      await again.release();
      expect(r.stdout.toString()).toBe('2\n');
    } finally {
      await own.close();
    }
  });
});

describe('the watchdog', () => {
  it('fails a run whose helper stopped answering, and replaces the slot', async () => {
    const others = new Set(helperPids());
    const own = await createSandbox({ slots: 1 });
    try {
      const ws = await own.acquire({ sizeBytes: MiB });
      const helper = helperPids().find((pid) => !others.has(pid))!;
      const running = ws.run({
        ...py('import time; time.sleep(30)'),
        // Long enough that the helper is stopped before it could end the run at the wall limit itself,
        // however late the timer below fires on a busy machine.
        limits: { ...limits, wallTimeMs: 2_000 },
      });
      await new Promise((r) => setTimeout(r, 100));
      // A stopped helper neither ends the run at its wall limit nor answers: only the watchdog can.
      process.kill(helper, 'SIGSTOP');
      await expect(running).rejects.toBeInstanceOf(SandboxCrashedError);
      await ws.release();
      const again = await own.acquire({ sizeBytes: MiB });
      const r = await again.run(py('print(3)'));
      await again.release();
      expect(r.stdout.toString()).toBe('3\n');
    } finally {
      await own.close();
    }
  }, 30_000);
});

describe('startup and shutdown', () => {
  it('removes the empty cgroups that a killed helper left behind', async () => {
    const cgroupDirs = () =>
      runCgroupParents('remcode').flatMap((dir) => readdirSync(dir).map((name) => `${dir}/${name}`));
    const others = new Set(helperPids());
    const doomed = await createSandbox({ slots: 1 });
    const pid = helperPids().find((p) => !others.has(p))!;
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const leftovers = cgroupDirs().filter((d) => d.includes(`-p${pid}-`));
    expect(leftovers.length).toBeGreaterThan(0);
    await doomed.close();
    const next = await createSandbox({ slots: 1 });
    await next.close();
    expect(cgroupDirs().filter((d) => d.includes(`-p${pid}-`))).toEqual([]);
  });

  it('fails with a clear message when the helper binary is missing', async () => {
    await expect(
      createSandbox({ slots: 1, helperPath: '/nonexistent/remcode-sandboxd' }),
    ).rejects.toBeInstanceOf(SandboxUnavailableError);
  });

  it('closes idempotently and rejects later acquires', async () => {
    const s = await createSandbox({ slots: 1 });
    await s.close();
    await s.close();
    await expect(s.acquire({ sizeBytes: MiB })).rejects.toBeInstanceOf(SandboxClosedError);
  });
});
