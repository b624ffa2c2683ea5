import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Logger } from './logger.js';

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    readonly file: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Any number that is the same in every RemCode process; serialises migrations across them. */
const MIGRATION_LOCK = 0x52454d43; // "REMC"

export function createPool(databaseUrl: string, logger: Logger, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, connectionTimeoutMillis: 5_000 });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', (error) => logger.warn({ err: error }, 'postgres idle client error'));
  return pool;
}

/**
 * Creates the database named in `databaseUrl` when it does not exist, connecting to the server's
 * `postgres` database to do so. Returns true when it created it.
 */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!/^[A-Za-z0-9_]{1,63}$/.test(name))
    throw new MigrationError(name, `database name "${name}" must be letters, digits and "_"`);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 1) return false;
    // The name is checked above; identifiers cannot be bound as parameters.
    await client.query(`CREATE DATABASE ${name}`);
    return true;
  } catch (error) {
    // Another process created it between the check and the CREATE.
    if ((error as { code?: string }).code === '42P04') return false;
    throw error;
  } finally {
    await client.end();
  }
}

/** The folder of the .sql migrations, found beside this module or, when built, in the source tree. */
export function migrationsDir(): string {
  const candidates = [
    new URL('./migrations/', import.meta.url),
    new URL('../../common/migrations/', import.meta.url),
  ];
  for (const candidate of candidates) {
    const path = fileURLToPath(candidate);
    if (existsSync(path)) return path;
  }
  throw new MigrationError(
    'common/migrations',
    `migrations folder not found (looked in ${candidates.map((c) => fileURLToPath(c)).join(' and ')}); ` +
      'a built image must ship common/migrations/ beside dist/',
  );
}

/**
 * Applies every numbered migration not yet applied, each in its own transaction. A session advisory lock
 * makes a webapp and an executor starting at the same moment apply them once, one after the other.
 */
export async function migrate(pool: pg.Pool, logger: Logger, dir = migrationsDir()): Promise<number> {
  const files = (await readdir(dir)).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
  const client = await pool.connect();
  let applied = 0;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set(
      (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    for (const file of files) {
      const version = Number.parseInt(file, 10);
      if (done.has(version)) continue;
      const sql = await readFile(`${dir}/${file}`, 'utf8');
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [version, file]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new MigrationError(file, `migration ${file} failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
      applied++;
      logger.info({ migration: file }, 'migration applied');
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
  return applied;
}

/** Migration files in `dir` not yet recorded in `schema_migrations` (all of them before the first run). */
export async function pendingMigrations(pool: pg.Pool, dir = migrationsDir()): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
  let done: Set<number>;
  try {
    const { rows } = await pool.query<{ version: number }>('SELECT version FROM schema_migrations');
    done = new Set(rows.map((r) => r.version));
  } catch (error) {
    // 42P01: the table does not exist yet, nothing is applied.
    if ((error as { code?: string }).code !== '42P01') throw error;
    done = new Set();
  }
  return files.filter((f) => !done.has(Number.parseInt(f, 10)));
}

/**
 * Gives each program role its password (`ALTER ROLE ... PASSWORD`), as the owner. The statement cannot
 * take parameters, so Postgres quotes the values itself (`format` with %I and %L). Under the migration
 * lock: two webapp tasks starting at once would otherwise alter the same role together, and the second
 * fails with "tuple concurrently updated".
 */
export async function setRolePasswords(
  pool: pg.Pool,
  passwords: Readonly<Record<string, string>>,
): Promise<void> {
  if (Object.keys(passwords).length === 0) return;
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    for (const [role, password] of Object.entries(passwords)) {
      const { rows } = await client.query<{ sql: string }>(
        "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text) AS sql",
        [role, password],
      );
      await client.query(rows[0]!.sql);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}

export interface PrepareOptions {
  /** How long a role that may not migrate waits for the owner to apply pending migrations. Default 120 s. */
  readonly waitMs?: number;
  /** Between two looks at `schema_migrations` while waiting. Default 1 s. */
  readonly pollMs?: number;
  readonly dir?: string;
}

/**
 * What each program does at start. A role that may create tables (the owner, or a superuser in a
 * single-user setup) creates the database when it is missing and applies the migrations. A program role
 * (docs/operations.md: `remcode_webapp`, `remcode_executor`) cannot, and waits for the owner
 * (`prepare-database`) to apply them, then fails with a message naming what is missing.
 */
export async function prepareDatabase(
  databaseUrl: string,
  logger: Logger,
  options: PrepareOptions = {},
): Promise<void> {
  const { waitMs = 120_000, pollMs = 1_000, dir = migrationsDir() } = options;
  try {
    if (await ensureDatabase(databaseUrl)) logger.info('database created');
  } catch (error) {
    logger.debug({ err: error }, 'could not check for the database; trying it as configured');
  }
  const pool = createPool(databaseUrl, logger, 1);
  try {
    let pending = await pendingMigrations(pool, dir);
    if (pending.length === 0) return;
    const { rows } = await pool.query<{ may: boolean }>(
      "SELECT has_schema_privilege('public', 'CREATE') AS may",
    );
    if (rows[0]?.may === true) {
      await migrate(pool, logger.child({ component: 'migrate' }), dir);
      return;
    }
    logger.info({ pending }, 'waiting for the database owner to apply migrations');
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      pending = await pendingMigrations(pool, dir);
      if (pending.length === 0) return;
    }
    const user = decodeURIComponent(new URL(databaseUrl).username) || '(default user)';
    throw new MigrationError(
      pending[0]!,
      `the database lacks migrations ${pending.join(', ')} and ${user} may not apply them; ` +
        'run `node dist/common/cli/prepare-database.js` with DATABASE_URL naming the owner role (docs/operations.md)',
    );
  } finally {
    await pool.end();
  }
}
