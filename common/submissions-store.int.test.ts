import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../test/support/isolation.js';
import type { TestDatabase } from '../test/support/isolation.js';
import { ACCEPTED_RESULT, newSubmission } from '../test/support/stored-submissions.js';
import { migrate } from './db.js';
import { createLogger } from './logger.js';
import { SubmissionStore } from './submissions-store.js';

/**
 * How the store's statements commit, against a real Postgres. The pool has one connection, so a
 * transaction opened with one `query` holds every statement after it until it ends: that is how a test
 * sees the setting a statement left for the rest of its transaction.
 */

const logger = createLogger('test', 'silent');
let db: TestDatabase;
let pool: pg.Pool;
let store: SubmissionStore;

async function commitSetting(): Promise<string> {
  const { rows } = await pool.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
  return rows[0]?.synchronous_commit ?? 'unknown';
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 1 });
  await migrate(pool, logger);
  store = new SubmissionStore(pool);
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

beforeEach(async () => {
  expect(await commitSetting()).toBe('on');
});

describe('how the store commits', () => {
  it("commits a claim without waiting for the WAL flush, and only the claim's own transaction", async () => {
    const id = randomUUID();
    await store.insert(newSubmission(id));
    await pool.query('BEGIN');
    try {
      expect(await store.claim(id, 'executor-a')).toMatchObject({ attempts: 1 });
      expect(await commitSetting()).toBe('off');
    } finally {
      await pool.query('ROLLBACK');
    }
    expect(await commitSetting()).toBe('on');
    // Outside a transaction block the claim commits on its own, and the next statement is durable again.
    expect(await store.claim(id, 'executor-a')).toMatchObject({ attempts: 1 });
    expect(await commitSetting()).toBe('on');
    expect(await store.get(id)).toMatchObject({ state: 'running', executor: 'executor-a', attempts: 1 });
  });

  it('commits a claim that reads the input the same way', async () => {
    const id = randomUUID();
    await store.insert(newSubmission(id));
    await pool.query('BEGIN');
    try {
      const claimed = await store.claimWithInput(id, 'executor-a');
      expect(claimed?.input.files[0]?.content.toString()).toBe('print(1)');
      expect(claimed).toMatchObject({ id, state: 'running', executor: 'executor-a', attempts: 1 });
      expect(await commitSetting()).toBe('off');
    } finally {
      await pool.query('ROLLBACK');
    }
    expect(await commitSetting()).toBe('on');
  });

  it('still refuses to claim a finished submission', async () => {
    const id = randomUUID();
    await store.insert(newSubmission(id));
    expect(await store.claim(id, 'executor-a')).toBeDefined();
    expect(await store.finish(id, 'executor-a', ACCEPTED_RESULT)).toBeDefined();
    expect(await store.claim(id, 'executor-b')).toBeUndefined();
    expect(await store.claimWithInput(id, 'executor-b')).toBeUndefined();
    expect(await store.get(id)).toMatchObject({ state: 'finished', executor: 'executor-a', attempts: 1 });
  });

  it('commits the insert and the result durably', async () => {
    const id = randomUUID();
    await pool.query('BEGIN');
    try {
      await store.insert(newSubmission(id));
      expect(await commitSetting()).toBe('on');
      expect(await store.finish(id, 'executor-a', ACCEPTED_RESULT)).toBeDefined();
      expect(await commitSetting()).toBe('on');
    } finally {
      await pool.query('ROLLBACK');
    }
  });

  it('stores the result of a submission whose claim was lost, as after a crash of Postgres', async () => {
    // A claim that never reached the disk leaves the row queued; the run's result is still stored once.
    const id = randomUUID();
    await store.insert(newSubmission(id));
    expect(await store.finish(id, 'executor-a', ACCEPTED_RESULT)).toBeDefined();
    expect(await store.finish(id, 'executor-b', ACCEPTED_RESULT)).toBeUndefined();
    expect(await store.get(id)).toMatchObject({
      state: 'finished',
      executor: 'executor-a',
      verdict: 'accepted',
    });
  });
});
