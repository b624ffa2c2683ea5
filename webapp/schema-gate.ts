import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { migrate, migrationsDir, pendingMigrations } from '../common/db.js';
import type { Logger } from '../common/logger.js';

/** `current`: every migration this code ships is recorded in `schema_migrations`. */
export type SchemaState = 'waiting' | 'current';

export interface SchemaGateOptions {
  /** Between two looks at `schema_migrations` while waiting. Default 1 s. */
  readonly pollMs?: number;
  /** The migrations this code expects. Default: the shipped common/migrations/. */
  readonly dir?: string;
}

/**
 * Keeps the webapp from serving against a schema older than its code. On a Swarm the migrate job
 * (manifests/remcode.yaml) applies the migrations as the owner, and the webapp's own role may not: it
 * waits, its readiness failing, until `schema_migrations` holds every migration it ships. Until the
 * job has run, the role may not even log in (no password yet, or no role): that is waiting too, not a
 * reason to exit, or Swarm would restart the task in a loop. A process logged in as a role that may
 * create tables (`npm run dev` as the superuser) applies them itself, as every program did before.
 */
export class SchemaGate {
  readonly #pool: pg.Pool;
  readonly #logger: Logger;
  readonly #pollMs: number;
  readonly #dir: string;
  #state: SchemaState = 'waiting';
  #reason = 'not checked yet';
  #closed = false;

  constructor(pool: pg.Pool, logger: Logger, options: SchemaGateOptions = {}) {
    this.#pool = pool;
    this.#logger = logger;
    this.#pollMs = options.pollMs ?? 1_000;
    this.#dir = options.dir ?? migrationsDir();
  }

  get state(): SchemaState {
    return this.#state;
  }

  /** Why it is still waiting: the pending migrations, or why it cannot read them. */
  get reason(): string {
    return this.#reason;
  }

  /** One look; true once the schema is current. Never throws: a failure is a reason to wait. */
  async check(): Promise<boolean> {
    if (this.#state === 'current') return true;
    let reason: string;
    try {
      let pending = await pendingMigrations(this.#pool, this.#dir);
      if (pending.length > 0 && (await this.#mayMigrate())) {
        await migrate(this.#pool, this.#logger, this.#dir);
        pending = await pendingMigrations(this.#pool, this.#dir);
      }
      if (pending.length === 0) {
        this.#state = 'current';
        this.#logger.info({ from: 'waiting', to: 'current' }, 'database schema current; serving');
        return true;
      }
      reason = `migrations not applied: ${pending.join(', ')}`;
    } catch (error) {
      reason = `cannot read the applied migrations: ${error instanceof Error ? error.message : String(error)}`;
    }
    // Said once per reason, not once a second: a migrate job that fails for minutes floods nothing.
    if (reason !== this.#reason)
      this.#logger.warn(
        { reason },
        'waiting for the database schema (the migrate job, or prepare-database, applies it); /readyz fails until then',
      );
    this.#reason = reason;
    return false;
  }

  /** Looks until the schema is current (true) or the gate is closed (false). */
  async wait(): Promise<boolean> {
    while (!this.#closed) {
      if (await this.check()) return true;
      await sleep(this.#pollMs);
    }
    return false;
  }

  /** Ends a `wait()` at its next look. Idempotent. */
  close(): void {
    this.#closed = true;
  }

  async #mayMigrate(): Promise<boolean> {
    const { rows } = await this.#pool.query<{ may: boolean }>(
      "SELECT has_schema_privilege('public', 'CREATE') AS may",
    );
    return rows[0]?.may === true;
  }
}
