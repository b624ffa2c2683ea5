/**
 * The other executor of executors.int.test.ts, started in a PID namespace of its own: starts a sandbox
 * on the given cgroup parent, runs one job and closes it, as many times as asked; prints one line.
 * usage: executors-peer.fixture.ts CGROUP_NAME UID_BASE RESTARTS
 */
import { createSandbox } from './index.js';
import { MiB, TEST_RUN_LIMITS } from '../../test/support/run-limits.js';

const [cgroupName = '', uidBase = '', restarts = ''] = process.argv.slice(2);

async function oneLife(): Promise<string | null> {
  const sandbox = await createSandbox({ slots: 2, uidBase: Number(uidBase), cgroupName });
  try {
    const ws = await sandbox.acquire({ sizeBytes: 8 * MiB });
    try {
      const r = await ws.run({
        argv: ['/bin/sh', '-c', 'echo ok'],
        env: { PATH: '/usr/bin:/bin' },
        limits: TEST_RUN_LIMITS,
      });
      return r.verdict === 'ok' && r.stdout.toString() === 'ok\n'
        ? null
        : `${r.verdict} ${r.stderr.toString()}`;
    } finally {
      await ws.release();
    }
  } finally {
    await sandbox.close();
  }
}

const failures: string[] = [];
for (let i = 0; i < Number(restarts); i++) {
  const failure = await oneLife().catch((error: unknown) =>
    error instanceof Error ? error.message : String(error),
  );
  if (failure !== null) failures.push(`restart ${i}: ${failure}`);
}
console.log(
  failures.length === 0 ? `peer: ${restarts} restarts, every job ok` : `peer: ${failures.join('; ')}`,
);
