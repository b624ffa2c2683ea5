import type pg from 'pg';
import type { SubmissionLimits } from './limits.js';
import { rideThrough } from './outage.js';
import type { DependencyUnavailableError } from './outage.js';
import { decodeInput, encodeInput } from './submission.js';
import type { StoredResult } from './submission-schema.js';
import type { InputJson, NewSubmission, Submission } from './submission.js';
import type { SubmissionState, SubmissionVerdict } from './verdicts.js';

interface Row {
  id: string;
  state: SubmissionState;
  language: string;
  language_version: string | null;
  encoding: 'utf8' | 'base64';
  input: InputJson;
  limits: SubmissionLimits;
  verdict: SubmissionVerdict | null;
  result: StoredResult | null;
  executor: string | null;
  attempts: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

function fromRow(row: Row): Submission {
  return {
    id: row.id,
    state: row.state,
    language: row.language,
    languageVersion: row.language_version,
    encoding: row.encoding,
    input: decodeInput(row.input),
    limits: row.limits,
    verdict: row.verdict,
    result: row.result,
    executor: row.executor,
    attempts: row.attempts,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** What a claim tells the executor about the submission it is about to run. */
export interface Claim {
  /** 1 on the first delivery. */
  readonly attempts: number;
  readonly createdAt: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isSubmissionId(id: string): boolean {
  return UUID.test(id);
}

export interface SubmissionStoreOptions {
  /**
   * How long a statement that meets a Postgres outage is tried again before the outage is thrown (a
   * DependencyUnavailableError). Default 0: one attempt.
   */
  readonly outageBudgetMs?: number;
}

/** Per call: hear of each wait (to log it, or to know the statement took more than one attempt). */
export interface CallOptions {
  readonly onRetry?: (failure: DependencyUnavailableError) => void;
  readonly signal?: AbortSignal;
}

/**
 * Every Postgres statement on submissions. State changes are guarded so that each happens once, which
 * also makes each statement safe to repeat when its connection broke before the answer came: that is
 * what lets every method ride through a Postgres restart.
 */
export class SubmissionStore {
  private readonly budgetMs: number;

  constructor(
    private readonly pool: pg.Pool,
    options: SubmissionStoreOptions = {},
  ) {
    this.budgetMs = options.outageBudgetMs ?? 0;
  }

  private query<R extends pg.QueryResultRow>(
    config: pg.QueryConfig,
    call: CallOptions = {},
  ): Promise<pg.QueryResult<R>> {
    return rideThrough('postgres', () => this.pool.query<R>(config), { budgetMs: this.budgetMs, ...call });
  }

  /**
   * Stores a new queued submission (`input` when the caller has already encoded it); returns its creation
   * time. Repeating it is harmless: an attempt whose commit was lost with its connection is found again.
   */
  async insert(s: NewSubmission, input: InputJson = encodeInput(s.input), call?: CallOptions): Promise<Date> {
    const { rows } = await this.query<{ created_at: Date }>(
      {
        name: 'submission-insert',
        text: `WITH inserted AS (
           INSERT INTO submissions (id, state, language, language_version, encoding, input, limits, api_key_id)
           VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING RETURNING created_at)
         SELECT created_at FROM inserted UNION ALL SELECT created_at FROM submissions WHERE id = $1`,
        values: [s.id, s.language, s.languageVersion, s.encoding, input, s.limits, s.apiKeyId],
      },
      call,
    );
    return (rows[0] as { created_at: Date }).created_at;
  }

  /**
   * As `insert`, under an idempotency key: the first request with the key stores its submission; a later
   * one within `windowMs` gets the stored submission's id instead (`replayed`), with whether its request
   * hash matched. A key older than the window is released and the new submission takes it.
   */
  async insertIdempotent(
    s: NewSubmission,
    input: InputJson,
    idempotency: { readonly key: string; readonly requestHash: Buffer; readonly windowMs: number },
    call?: CallOptions,
  ): Promise<{ id: string; createdAt: Date; replayed: boolean; sameRequest: boolean }> {
    const owner = `COALESCE(api_key_id, '00000000-0000-0000-0000-000000000000'::uuid) = COALESCE($1::uuid, '00000000-0000-0000-0000-000000000000'::uuid) AND idempotency_key = $2`;
    await this.query(
      {
        name: 'submission-idempotency-expire',
        text: `UPDATE submissions SET idempotency_key = NULL
         WHERE ${owner} AND created_at < now() - make_interval(secs => $3)`,
        values: [s.apiKeyId, idempotency.key, idempotency.windowMs / 1000],
      },
      call,
    );
    // No conflict target: a clash on the id (this call's own lost commit) or on the key both insert nothing.
    await this.query(
      {
        name: 'submission-insert-idempotent',
        text: `INSERT INTO submissions (id, state, language, language_version, encoding, input, limits, api_key_id,
           idempotency_key, request_hash)
         VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
        values: [
          s.id,
          s.language,
          s.languageVersion,
          s.encoding,
          input,
          s.limits,
          s.apiKeyId,
          idempotency.key,
          idempotency.requestHash,
        ],
      },
      call,
    );
    const { rows } = await this.query<{ id: string; created_at: Date; request_hash: Buffer | null }>(
      {
        name: 'submission-idempotency-find',
        text: `SELECT id, created_at, request_hash FROM submissions WHERE ${owner} LIMIT 1`,
        values: [s.apiKeyId, idempotency.key],
      },
      call,
    );
    const row = rows[0];
    // Deleted between the insert and the read: the key is free again, so this is a new submission.
    if (row === undefined)
      return { id: s.id, createdAt: await this.insert(s, input, call), replayed: false, sameRequest: true };
    return {
      id: row.id,
      createdAt: row.created_at,
      replayed: row.id !== s.id,
      sameRequest: row.request_hash !== null && row.request_hash.equals(idempotency.requestHash),
    };
  }

  async get(id: string): Promise<Submission | undefined> {
    if (!isSubmissionId(id)) return undefined;
    const { rows } = await this.query<Row>({
      name: 'submission-get',
      text: 'SELECT * FROM submissions WHERE id = $1',
      values: [id],
    });
    return rows[0] === undefined ? undefined : fromRow(rows[0]);
  }

  /**
   * Marks the submission running on `executor`. A redelivered job (its first executor died) claims it
   * again; a finished, cancelled or deleted one returns undefined and must not run.
   *
   * Its commit does not wait for the WAL to reach the disk (`synchronous_commit` off for this statement's
   * transaction only): the claim is visible to every other statement at once, which is all that deciding
   * the run needs, and nothing depends on it surviving a crash of Postgres. The run's job stays in Redis
   * until its result is stored, the finish accepts a row still queued, and the finish's own synchronous
   * commit flushes the claim's record with it. A claim lost to a crash costs only the row's `attempts`
   * count and `started_at` (docs/performance.md).
   */
  async claim(id: string, executor: string): Promise<Claim | undefined> {
    const { rows } = await this.query<{ attempts: number; created_at: Date }>({
      name: 'submission-claim',
      // The FROM item, not a CTE: Postgres skips a CTE no part of the statement reads.
      text: `UPDATE submissions SET state = 'running', executor = $2, attempts = attempts + 1, started_at = now()
       FROM (SELECT set_config('synchronous_commit', 'off', true)) AS unflushed
       WHERE id = $1 AND state IN ('queued', 'running') RETURNING attempts, created_at`,
      values: [id, executor],
    });
    const row = rows[0];
    return row === undefined ? undefined : { attempts: row.attempts, createdAt: row.created_at };
  }

  /** True when a row with this id exists, whatever its state. */
  async exists(id: string): Promise<boolean> {
    const { rowCount } = await this.query({
      name: 'submission-exists',
      text: 'SELECT 1 FROM submissions WHERE id = $1',
      values: [id],
    });
    return rowCount === 1;
  }

  /**
   * As `claim`, returning the whole submission: for jobs that do not carry it. Its run waits for it, so
   * its commit skips the WAL flush for the same reasons.
   */
  async claimWithInput(id: string, executor: string): Promise<Submission | undefined> {
    const { rows } = await this.query<Row>({
      name: 'submission-claim-input',
      text: `UPDATE submissions SET state = 'running', executor = $2, attempts = attempts + 1, started_at = now()
       FROM (SELECT set_config('synchronous_commit', 'off', true)) AS unflushed
       WHERE id = $1 AND state IN ('queued', 'running') RETURNING submissions.*`,
      values: [id, executor],
    });
    return rows[0] === undefined ? undefined : fromRow(rows[0]);
  }

  /**
   * Stores the result unless one is already stored. Returns the run's timestamps when this call stored
   * it, undefined when the submission was deleted or finished elsewhere.
   */
  async finish(
    id: string,
    executor: string,
    result: StoredResult,
    resultJson: string = JSON.stringify(result),
    call: CallOptions = {},
  ): Promise<{ startedAt: Date; finishedAt: Date } | undefined> {
    // After a lost answer the row may already hold this executor's result: a repeat finds it again
    // rather than reporting the submission finished elsewhere (which would leave its notice unsent).
    let repeat = false;
    const { rows } = await rideThrough(
      'postgres',
      () =>
        this.pool.query<{ started_at: Date | null; finished_at: Date }>({
          name: repeat ? 'submission-finish-repeat' : 'submission-finish',
          text: repeat
            ? `UPDATE submissions SET state = 'finished', verdict = $2, result = $3, executor = $4,
               finished_at = COALESCE(finished_at, now())
               WHERE id = $1 AND (state IN ('queued', 'running') OR (state = 'finished' AND executor = $4 AND verdict = $2))
               RETURNING started_at, finished_at`
            : `UPDATE submissions SET state = 'finished', verdict = $2, result = $3, executor = $4, finished_at = now()
               WHERE id = $1 AND state IN ('queued', 'running') RETURNING started_at, finished_at`,
          values: [id, result.verdict, resultJson, executor],
        }),
      {
        budgetMs: this.budgetMs,
        ...call,
        onRetry: (failure) => {
          repeat = true;
          call.onRetry?.(failure);
        },
      },
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return { startedAt: row.started_at ?? row.finished_at, finishedAt: row.finished_at };
  }

  /** Deletes the submission whatever its state; true when it existed. */
  async remove(id: string): Promise<boolean> {
    if (!isSubmissionId(id)) return false;
    const { rowCount } = await this.query({ text: 'DELETE FROM submissions WHERE id = $1', values: [id] });
    return rowCount === 1;
  }

  /**
   * Ids and languages of rows still queued after `queuedMs`, or running since longer than `runningMs`: candidates for
   * re-enqueueing when their job is gone (a webapp died before enqueueing, Redis lost its data).
   */
  async stale(
    queuedMs: number,
    runningMs: number,
    limit = 1000,
  ): Promise<{ id: string; language: string }[]> {
    const { rows } = await this.query<{ id: string; language: string }>({
      text: `(SELECT id, language FROM submissions WHERE state = 'queued' AND created_at < now() - make_interval(secs => $1)
        ORDER BY created_at LIMIT $3)
       UNION ALL
       (SELECT id, language FROM submissions WHERE state = 'running' AND started_at < now() - make_interval(secs => $2)
        ORDER BY started_at LIMIT $3)`,
      values: [queuedMs / 1000, runningMs / 1000, limit],
    });
    return rows.map((r) => ({ id: r.id, language: r.language }));
  }

  /** Applies retention; returns how many finished submissions were deleted. */
  async deleteFinishedBefore(ageMs: number): Promise<number> {
    const { rowCount } = await this.query({
      text: `DELETE FROM submissions WHERE finished_at IS NOT NULL AND finished_at < now() - make_interval(secs => $1)`,
      values: [ageMs / 1000],
    });
    return rowCount ?? 0;
  }
}
