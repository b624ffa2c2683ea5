/**
 * While Postgres is unreachable, the Judge0 and Piston dialects answer 503 with `retry-after` in their
 * own error shapes, as RemCode's own API does, instead of Judge0's or Piston's 500: the client may
 * repeat the request once the database is back. Real webapp and executor processes, a real Postgres
 * database closed to new connections and cut from the open ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TEST_REDIS_URL,
  createTestDatabase,
  deleteRedisPrefix,
  testPrefix,
  type TestDatabase,
} from '../../test/support/isolation.js';
import {
  platformEnv,
  startExecutor,
  startWebapp,
  type ServiceProcess,
} from '../../test/support/processes.js';
import { until } from '../../test/support/until.js';

let db: TestDatabase;
let prefix: string;
let url: string;
const started: ServiceProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  prefix = testPrefix();
  const env = platformEnv(
    { databaseUrl: db.url, redisUrl: TEST_REDIS_URL, prefix },
    {
      EXECUTOR_SLOTS: '1',
      // Fail fast instead of riding through the outage, so the answer is the outage's.
      REMCODE_OUTAGE_BUDGET: '0ms',
    },
  );
  const webapp = await startWebapp(env);
  started.push(webapp.process);
  url = webapp.url;
  started.push(await startExecutor(env));
  await until(
    async () => ((await (await fetch(`${url}/api/v2/runtimes`)).json()) as unknown[]).length > 0,
    60_000,
    'the executor to publish its languages',
  );
}, 120_000);

afterAll(async () => {
  await db?.setReachable(true);
  for (const p of started.splice(0)) {
    p.kill('SIGKILL');
    await p.exited;
  }
  await db?.drop();
  await deleteRedisPrefix(prefix);
});

describe('the compatibility dialects during a Postgres outage', () => {
  it('answer 503 with retry-after in Judge0 and Piston shapes, and work again afterwards', async () => {
    await db.setReachable(false);
    try {
      const judge0 = await fetch(`${url}/judge0/submissions/00000000-0000-4000-8000-000000000000`);
      expect(judge0.status).toBe(503);
      expect(judge0.headers.get('retry-after')).not.toBeNull();
      expect(((await judge0.json()) as { error: string }).error).toMatch(
        /^The service is temporarily unavailable: /,
      );

      const piston = await fetch(`${url}/api/v2/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ language: 'python', version: '*', files: [{ content: 'print(1)' }] }),
      });
      expect(piston.status).toBe(503);
      expect(piston.headers.get('retry-after')).not.toBeNull();
      expect(((await piston.json()) as { message: string }).message).toMatch(
        /^The service is temporarily unavailable: /,
      );
    } finally {
      await db.setReachable(true);
    }
    await until(
      async () =>
        (await fetch(`${url}/judge0/submissions/00000000-0000-4000-8000-000000000000`)).status === 404,
      30_000,
      'Judge0 reads to work again',
    );
  });
});
