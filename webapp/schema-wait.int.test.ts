import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../common/db.js';
import { createLogger } from '../common/logger.js';
import {
  TEST_REDIS_URL,
  createTestDatabase,
  deleteRedisPrefix,
  testPrefix,
} from '../test/support/isolation.js';
import type { TestDatabase } from '../test/support/isolation.js';
import { platformEnv, startWebapp } from '../test/support/processes.js';
import type { ServiceProcess } from '../test/support/processes.js';

/**
 * The webapp as the Swarm stack runs it: logged in as `remcode_webapp`, which may not migrate, against
 * a database the migrate job has not prepared yet. It listens (its healthcheck passes), fails
 * readiness and answers the API with 503 until the owner has applied every migration, then serves.
 */

const logger = createLogger('test', 'silent');
let db: TestDatabase;
const prefix = testPrefix();
const started: ServiceProcess[] = [];

function urlAs(role: string): string {
  const url = new URL(db.url);
  url.username = role;
  url.password = '';
  return url.toString();
}

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  // The program roles belong to the whole cluster: a scratch database's migrations make them when no
  // earlier test has.
  const scratch = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: scratch.url, max: 1 });
  try {
    await migrate(pool, logger);
  } finally {
    await pool.end();
    await scratch.drop();
  }
  db = await createTestDatabase();
});

afterEach(async () => {
  for (const process of started.splice(0)) {
    process.kill('SIGKILL');
    await process.exited;
  }
});

afterAll(async () => {
  await db.drop();
  await deleteRedisPrefix(prefix);
});

describe('the webapp on an unmigrated database', () => {
  it('waits with readiness failing and the API refused, then serves once the owner has migrated', async () => {
    const { process, url } = await startWebapp(
      platformEnv({ databaseUrl: urlAs('remcode_webapp'), redisUrl: TEST_REDIS_URL, prefix }),
    );
    started.push(process);
    const line = await process.waitFor(/waiting for the database schema/);
    expect(line).toContain('migrations not applied: 001_submissions.sql');

    expect(await get(`${url}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    const notReady = await get(`${url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(notReady.body).toMatchObject({
      status: 'waiting_for_schema',
      checks: { schema: expect.stringContaining('004_program_roles.sql') as unknown },
    });
    const refused = await get(`${url}/api/v1/submissions/00000000-0000-4000-8000-000000000000`);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'schema_not_ready' });
    // It never migrates as its own role: the database is still empty.
    const owner = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      const { rowCount } = await owner.query("SELECT 1 FROM pg_tables WHERE tablename = 'submissions'");
      expect(rowCount).toBe(0);

      // What the migrate job does.
      expect(await migrate(owner, logger)).toBeGreaterThan(0);
    } finally {
      await owner.end();
    }
    await process.waitFor(/database schema current; serving/);
    expect(await get(`${url}/readyz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
    // The API reads the table now: an unknown id is a plain 404.
    const answered = await get(`${url}/api/v1/submissions/00000000-0000-4000-8000-000000000000`);
    expect(answered).toMatchObject({ status: 404, body: { code: 'submission_not_found' } });
  }, 120_000);

  it('waits, rather than exiting, while its role cannot even log in (the migrate job has not run)', async () => {
    const { process, url } = await startWebapp(
      platformEnv({ databaseUrl: urlAs('remcode_nobody'), redisUrl: TEST_REDIS_URL, prefix }),
    );
    started.push(process);
    await process.waitFor(/waiting for the database schema/);
    const notReady = await get(`${url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(notReady.body).toMatchObject({
      status: 'waiting_for_schema',
      checks: { schema: expect.stringContaining('role "remcode_nobody" does not exist') as unknown },
    });
    // Alive after a failed login, its healthcheck passing: Swarm has nothing to restart.
    expect(await get(`${url}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    expect(process.child.exitCode).toBeNull();
  }, 120_000);
});
