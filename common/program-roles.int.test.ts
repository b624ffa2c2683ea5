import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TEST_REDIS_URL,
  createTestDatabase,
  deleteRedisPrefix,
  testPrefix,
} from '../test/support/isolation.js';
import type { TestDatabase } from '../test/support/isolation.js';
import { platformEnv, startExecutor, startWebapp } from '../test/support/processes.js';
import type { ServiceProcess } from '../test/support/processes.js';
import { ACCEPTED_RESULT, newSubmission } from '../test/support/stored-submissions.js';
import { until } from '../test/support/until.js';
import { MigrationError, migrate, migrationsDir, prepareDatabase, setRolePasswords } from './db.js';
import { createLogger } from './logger.js';
import { SubmissionStore } from './submissions-store.js';

/**
 * The roles the migrations create, logged in to a real Postgres: each program can do what its code does
 * and nothing more. Postgres on this machine trusts local connections, so the roles log in without the
 * passwords a Swarm's Postgres asks for; the grants are what is tested.
 */

const logger = createLogger('test', 'silent');
let db: TestDatabase;
let owner: pg.Pool;

function urlAs(role: string, database = db): string {
  const url = new URL(database.url);
  url.username = role;
  url.password = '';
  return url.toString();
}

/** The SQLSTATE a statement fails with as `role`, or 'ok'. */
async function outcome(pool: pg.Pool, sql: string, values: unknown[] = []): Promise<string> {
  try {
    await pool.query(sql, values);
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

const INSUFFICIENT_PRIVILEGE = '42501';

beforeAll(async () => {
  db = await createTestDatabase();
  owner = new pg.Pool({ connectionString: db.url, max: 2 });
  await migrate(owner, logger);
});

afterAll(async () => {
  await owner.end();
  await db.drop();
});

describe('the executor role', () => {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: urlAs('remcode_executor'), max: 2 });
  });
  afterAll(() => pool.end());

  it('claims a submission, reads its input and stores its result once', async () => {
    const id = randomUUID();
    await new SubmissionStore(owner).insert(newSubmission(id));
    const store = new SubmissionStore(pool);
    expect(await store.exists(id)).toBe(true);
    expect((await store.claim(id, 'e1'))?.attempts).toBe(1);
    expect((await store.claimWithInput(id, 'e1'))?.input.files[0]?.content.toString()).toBe('print(1)');
    expect(await store.finish(id, 'e1', ACCEPTED_RESULT)).toBeDefined();
    expect(await store.finish(id, 'e1', ACCEPTED_RESULT)).toBeUndefined();
  });

  it.each([
    ['create a table', 'CREATE TABLE x (a int)'],
    ['create a temporary table', 'CREATE TEMP TABLE x (a int)'],
    ['create a function', 'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$'],
    ['alter a table', 'ALTER TABLE submissions ADD COLUMN x int'],
    ['drop a table', 'DROP TABLE submissions'],
    ['truncate', 'TRUNCATE submissions'],
    [
      'insert a submission',
      "INSERT INTO submissions (id, state, language, encoding, input, limits) VALUES (gen_random_uuid(), 'queued', 'c', 'utf8', '{}', '{}')",
    ],
    ['delete a submission', 'DELETE FROM submissions'],
    ['rewrite a submission input', "UPDATE submissions SET input = '{}'"],
    ['read API keys', 'SELECT * FROM api_keys'],
    ['read Judge0 callbacks', 'SELECT * FROM judge0_callbacks'],
    ['write the migrations table', 'DELETE FROM schema_migrations'],
    ['run a program on the database server', "COPY (SELECT 1) TO PROGRAM 'id'"],
    ['read a server file', "SELECT pg_read_file('/etc/passwd')"],
    ['make itself a superuser', 'ALTER ROLE remcode_executor SUPERUSER'],
    ['create a role', 'CREATE ROLE intruder LOGIN'],
    ['take the webapp role', 'SET ROLE remcode_webapp'],
  ])('may not %s', async (_what, sql) => {
    expect(await outcome(pool, sql)).toBe(INSUFFICIENT_PRIVILEGE);
  });
});

describe('the webapp role', () => {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: urlAs('remcode_webapp'), max: 2 });
  });
  afterAll(() => pool.end());

  it('stores, reads and deletes submissions, API keys and Judge0 callbacks', async () => {
    const store = new SubmissionStore(pool);
    const id = randomUUID();
    await store.insert(newSubmission(id));
    expect((await store.get(id))?.state).toBe('queued');
    expect(
      await outcome(pool, 'INSERT INTO judge0_callbacks (submission_id, url) VALUES ($1, $2)', [
        id,
        'http://x/',
      ]),
    ).toBe('ok');
    expect(
      await outcome(pool, "INSERT INTO api_keys (id, name, key_hash) VALUES (gen_random_uuid(), 'k', 'h')"),
    ).toBe('ok');
    expect(await outcome(pool, "UPDATE api_keys SET revoked_at = now() WHERE name = 'k'")).toBe('ok');
    expect(await store.remove(id)).toBe(true);
    expect(await store.deleteFinishedBefore(0)).toBeGreaterThanOrEqual(0);
    expect(await outcome(pool, 'SELECT pg_database_size(current_database())')).toBe('ok');
  });

  it.each([
    ['create a table', 'CREATE TABLE x (a int)'],
    ['create a temporary table', 'CREATE TEMP TABLE x (a int)'],
    ['alter a table', 'ALTER TABLE api_keys ADD COLUMN x int'],
    ['drop a table', 'DROP TABLE api_keys'],
    ['truncate', 'TRUNCATE submissions CASCADE'],
    ['create an index', 'CREATE INDEX x ON submissions (language)'],
    ['write the migrations table', 'DELETE FROM schema_migrations'],
    ['run a program on the database server', "COPY (SELECT 1) TO PROGRAM 'id'"],
    ['make itself a superuser', 'ALTER ROLE remcode_webapp SUPERUSER'],
    ['take the executor role', 'SET ROLE remcode_executor'],
  ])('may not %s', async (_what, sql) => {
    expect(await outcome(pool, sql)).toBe(INSUFFICIENT_PRIVILEGE);
  });
});

describe('migrations', () => {
  let dir: string;
  let other: TestDatabase;
  beforeAll(async () => {
    // The shipped migrations and one more, as a newer release would bring.
    dir = await mkdtemp(join(tmpdir(), 'remcode-migrations-'));
    for (const file of await readdir(migrationsDir()))
      await copyFile(join(migrationsDir(), file), join(dir, file));
    await writeFile(join(dir, '999_newer.sql'), 'CREATE TABLE newer (a int);\n');
    other = await createTestDatabase();
    const pool = new pg.Pool({ connectionString: other.url, max: 1 });
    try {
      await migrate(pool, logger);
    } finally {
      await pool.end();
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await other.drop();
  });

  it('a program role waits for the owner and fails naming what is missing when the owner does not come', async () => {
    const error = await prepareDatabase(urlAs('remcode_executor', other), logger, {
      dir,
      waitMs: 300,
      pollMs: 50,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toContain('999_newer.sql');
    expect((error as Error).message).toContain('remcode_executor may not apply them');
    const { rowCount } = await owner.query("SELECT 1 FROM pg_tables WHERE tablename = 'newer'");
    expect(rowCount).toBe(0);
  });

  it('a program role starts once the owner has applied the pending migrations', async () => {
    const waiting = prepareDatabase(urlAs('remcode_webapp', other), logger, {
      dir,
      waitMs: 60_000,
      pollMs: 50,
    });
    const ownerPool = new pg.Pool({ connectionString: other.url, max: 1 });
    try {
      expect(await migrate(ownerPool, logger, dir)).toBe(1);
    } finally {
      await ownerPool.end();
    }
    await expect(waiting).resolves.toBeUndefined();
  });

  it('the owner sets the program roles passwords', async () => {
    // Postgres here trusts local logins, so the same password is set again each run; a Swarm's asks for it.
    await setRolePasswords(owner, { remcode_executor: "it's a 'quoted' password", remcode_webapp: 'x' });
    const { rows } = await owner.query<{ rolname: string; scram: boolean }>(
      "SELECT rolname, rolpassword LIKE 'SCRAM-SHA-256$%' AS scram FROM pg_authid WHERE rolname LIKE 'remcode\\_%' ORDER BY rolname",
    );
    expect(rows).toEqual([
      { rolname: 'remcode_executor', scram: true },
      { rolname: 'remcode_webapp', scram: true },
    ]);
  });

  it('webapps starting together set the same passwords at once without a conflict', async () => {
    const pools = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: db.url, max: 1 }));
    try {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          setRolePasswords(pools[i % pools.length]!, { remcode_executor: 'same', remcode_webapp: 'same' }),
        ),
      );
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });
});

describe('the programs logged in as their roles', () => {
  const started: ServiceProcess[] = [];
  const prefix = testPrefix();
  afterAll(async () => {
    for (const p of started) {
      p.kill('SIGKILL');
      await p.exited;
    }
    await deleteRedisPrefix(prefix);
  });

  it('run a submission end to end', async () => {
    const where = { redisUrl: TEST_REDIS_URL, prefix };
    // The executor first: the webapp reads the languages it announces.
    started.push(
      await startExecutor(
        platformEnv({ ...where, databaseUrl: urlAs('remcode_executor') }, { EXECUTOR_SLOTS: '1' }),
      ),
    );
    const web = await startWebapp(platformEnv({ ...where, databaseUrl: urlAs('remcode_webapp') }));
    started.push(web.process);
    let response: Response | undefined;
    await until(
      async () => {
        response = await fetch(`${web.url}/api/v1/submissions?wait=true`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ language: 'python', source: 'print(input())', stdin: 'roles' }),
        });
        if (response.status !== 503) return true;
        await response.body?.cancel();
        return false;
      },
      60_000,
      'the webapp to see the executor',
    );
    if (response === undefined) throw new Error('no response');
    const text = await response.text();
    expect(response.status, text).toBe(200);
    expect(text).toContain('"verdict":"accepted"');
    expect(text).toContain('roles');
    const { rows } = await owner.query<{ executor: string }>(
      "SELECT executor FROM submissions WHERE state = 'finished' AND language = 'python' AND executor IS NOT NULL",
    );
    expect(rows.length).toBeGreaterThan(0);
  });
});
