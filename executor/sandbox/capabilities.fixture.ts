/**
 * Run by capabilities.int.test.ts under `capsh --drop=...`: starts a sandbox of one slot and runs what an
 * executor runs (a Python program, a C compile and its program,
 * loopback inside the box, a run killed at its wall time), then prints `ok` or the first failure on one line.
 */
import { createSandbox } from './index.js';
import { MiB, TEST_RUN_LIMITS } from '../../test/support/run-limits.js';

const env = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' };

async function probe(): Promise<string> {
  const sandbox = await createSandbox({ slots: 1 });
  try {
    const ws = await sandbox.acquire({ sizeBytes: 32 * MiB });
    try {
      await ws.writeFiles([
        { path: 'main.c', content: Buffer.from('#include <stdio.h>\nint main(){puts("c");}\n') },
      ]);
      const py = await ws.run({ argv: ['python3', '-c', 'print(6*7)'], env, limits: TEST_RUN_LIMITS });
      if (py.stdout.toString() !== '42\n')
        return `python: ${py.verdict} ${py.stderr.toString().slice(0, 300)}`;
      const cc = await ws.run({
        argv: ['gcc', '-O0', '-o', 'main', 'main.c'],
        env,
        limits: { ...TEST_RUN_LIMITS, processes: 64 },
      });
      if (cc.verdict !== 'ok') return `gcc: ${cc.verdict} ${cc.stderr.toString().slice(0, 300)}`;
      const c = await ws.run({ argv: ['./main'], env, limits: TEST_RUN_LIMITS });
      if (c.stdout.toString() !== 'c\n') return `c: ${c.verdict} ${c.stderr.toString().slice(0, 300)}`;
      // Loopback inside the box (the helper brings `lo` up in the box's network namespace).
      const lo = await ws.run({
        argv: [
          'python3',
          '-c',
          "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); socket.create_connection(s.getsockname()); print('lo')",
        ],
        env,
        limits: TEST_RUN_LIMITS,
      });
      if (lo.stdout.toString() !== 'lo\n')
        return `loopback: ${lo.verdict} ${lo.stderr.toString().slice(-300)}`;
      // A run the helper must kill (its wall time runs out), and a workspace released afterwards.
      const slow = await ws.run({
        argv: ['python3', '-c', 'import time; time.sleep(30)'],
        env,
        limits: { ...TEST_RUN_LIMITS, wallTimeMs: 300 },
      });
      if (slow.verdict !== 'time_limit_exceeded') return `kill: ${slow.verdict}`;
      return 'ok';
    } finally {
      await ws.release();
    }
  } finally {
    await sandbox.close();
  }
}

const line = await probe().catch(
  (error: unknown) =>
    `error: ${error instanceof Error ? `${error.message} ${JSON.stringify((error as { detail?: unknown }).detail ?? '')}` : String(error)}`,
);
console.log(line.replace(/\s+/g, ' ').trim());
