/**
 * A submission accepted while Redis is away waits in its webapp's memory for Redis to return. When that
 * webapp dies first, another webapp enqueues it as soon as Redis answers again, not at its next sweep.
 * Real processes, a Redis of the test's own that it stops and starts, a real SIGKILL.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDisposableRedis, type DisposableServer } from '../test/support/disposable-servers.js';
import { createTestDatabase, type TestDatabase } from '../test/support/isolation.js';
import { platformEnv, startExecutor, startWebapp, type ServiceProcess } from '../test/support/processes.js';
import { until } from '../test/support/until.js';

let db: TestDatabase;
let redis: DisposableServer;
const started: ServiceProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  // An append-only file, as the stack's Redis keeps: what the executor announced survives the restart.
  redis = await startDisposableRedis(['--appendonly', 'yes']);
});

afterEach(async () => {
  for (const p of started.splice(0)) {
    p.kill('SIGKILL');
    await p.exited;
  }
});

afterAll(async () => {
  await redis?.close();
  await db?.drop();
});

describe('a submission deferred by a webapp that died while Redis was away', () => {
  it('is enqueued by another webapp once Redis answers, long before its next sweep', async () => {
    // Ten minutes between sweeps: only the sweep on Redis's return can enqueue it within the test.
    const env = platformEnv(
      { databaseUrl: db.url, redisUrl: redis.url, prefix: 'deferred' },
      { REMCODE_SWEEP_INTERVAL: '10m', EXECUTOR_SLOTS: '1' },
    );
    const dying = await startWebapp(env);
    started.push(dying.process);
    const other = await startWebapp(env);
    started.push(other.process);
    started.push(await startExecutor(env));
    await until(
      async () => {
        const languages = (await (await fetch(`${dying.url}/api/v1/languages`)).json()) as {
          available: boolean;
        }[];
        return languages.some((l) => l.available);
      },
      60_000,
      'the executor to publish its languages',
    );

    await redis.stop();
    const created = await fetch(`${dying.url}/api/v1/submissions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ language: 'python', source: 'print("deferred")' }),
    });
    // Accepted: stored in Postgres, its job deferred in this webapp's memory.
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await dying.process.waitFor(/new submissions wait in Postgres/, 10_000);
    dying.process.kill('SIGKILL');
    await dying.process.exited;
    await redis.start();
    const back = Date.now();

    await until(
      async () => {
        const s = (await (await fetch(`${other.url}/api/v1/submissions/${id}`)).json()) as { state: string };
        return s.state === 'finished';
      },
      60_000,
      'the deferred submission to finish',
    );
    const done = (await (await fetch(`${other.url}/api/v1/submissions/${id}`)).json()) as Record<
      string,
      unknown
    >;
    expect(done).toMatchObject({ state: 'finished', verdict: 'accepted', stdout: 'deferred\n' });
    console.log(
      `deferred submission of a killed webapp finished ${Date.now() - back} ms after Redis returned`,
    );
    expect(other.process.output()).toMatch(/orphaned submissions enqueued again/);
  }, 120_000);
});
