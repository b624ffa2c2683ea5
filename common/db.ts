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

/**
 * What each program does at start: create the database when it is missing (best effort: a role without
 * that right still works against an existing database) and apply the migrations.
 */
export async function prepareDatabase(databaseUrl: string, logger: Logger): Promise<void> {
  try {
    if (await ensureDatabase(databaseUrl)) logger.info('database created');
  } catch (error) {
    logger.debug({ err: error }, 'could not check for the database; trying it as configured');
  }
  const pool = createPool(databaseUrl, logger, 1);
  try {
    await migrate(pool, logger.child({ component: 'migrate' }));
  } finally {
    await pool.end();
  }
}
