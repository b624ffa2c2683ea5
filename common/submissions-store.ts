import type pg from 'pg';
import type { SubmissionLimits } from './limits.js';
import type { NewSubmission, StoredResult, Submission, SubmissionInput } from './submission.js';
import type { SubmissionState, SubmissionVerdict } from './verdicts.js';

interface InputJson {
  files: { name: string; content: string }[];
  stdin: string;
  args: string[];
  compilerArgs: string[];
  tests: { stdin: string; expectedOutput: string | null }[] | null;
}

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

function encodeInput(input: SubmissionInput): InputJson {
  return {
    files: input.files.map((f) => ({ name: f.name, content: f.content.toString('base64') })),
    stdin: input.stdin.toString('base64'),
    args: [...input.args],
    compilerArgs: [...input.compilerArgs],
    tests:
      input.tests?.map((t) => ({
        stdin: t.stdin.toString('base64'),
        expectedOutput: t.expectedOutput === null ? null : t.expectedOutput.toString('base64'),
      })) ?? null,
  };
}

function decodeInput(json: InputJson): SubmissionInput {
  return {
    files: json.files.map((f) => ({ name: f.name, content: Buffer.from(f.content, 'base64') })),
    stdin: Buffer.from(json.stdin, 'base64'),
    args: json.args,
    compilerArgs: json.compilerArgs,
    tests:
      json.tests?.map((t) => ({
        stdin: Buffer.from(t.stdin, 'base64'),
        expectedOutput: t.expectedOutput === null ? null : Buffer.from(t.expectedOutput, 'base64'),
      })) ?? null,
  };
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isSubmissionId(id: string): boolean {
  return UUID.test(id);
}

/** Every Postgres statement on submissions. State changes are guarded so that each happens once. */
export class SubmissionStore {
  constructor(private readonly pool: pg.Pool) {}

  async insert(s: NewSubmission): Promise<Submission> {
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO submissions (id, state, language, language_version, encoding, input, limits, api_key_id)
       VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7) RETURNING *`,
      [s.id, s.language, s.languageVersion, s.encoding, encodeInput(s.input), s.limits, s.apiKeyId],
    );
    return fromRow(rows[0] as Row);
  }

  async get(id: string): Promise<Submission | undefined> {
    if (!isSubmissionId(id)) return undefined;
    const { rows } = await this.pool.query<Row>('SELECT * FROM submissions WHERE id = $1', [id]);
    return rows[0] === undefined ? undefined : fromRow(rows[0]);
  }

  /**
   * Marks the submission running on `executor`. A redelivered job (its first executor died) claims it
   * again; a finished, cancelled or deleted one returns undefined and must not run.
   */
  async claim(id: string, executor: string): Promise<Submission | undefined> {
    const { rows } = await this.pool.query<Row>(
      `UPDATE submissions SET state = 'running', executor = $2, attempts = attempts + 1, started_at = now()
       WHERE id = $1 AND state IN ('queued', 'running') RETURNING *`,
      [id, executor],
    );
    return rows[0] === undefined ? undefined : fromRow(rows[0]);
  }

  /** Stores the result unless one is already stored; true when this call stored it. */
  async finish(id: string, executor: string, result: StoredResult): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE submissions SET state = 'finished', verdict = $2, result = $3, executor = $4, finished_at = now()
       WHERE id = $1 AND state IN ('queued', 'running')`,
      [id, result.verdict, result, executor],
    );
    return rowCount === 1;
  }

  /** Deletes the submission whatever its state; true when it existed. */
  async remove(id: string): Promise<boolean> {
    if (!isSubmissionId(id)) return false;
    const { rowCount } = await this.pool.query('DELETE FROM submissions WHERE id = $1', [id]);
    return rowCount === 1;
  }

  /**
   * Ids of rows still queued after `queuedMs`, or running since longer than `runningMs`: candidates for
   * re-enqueueing when their job is gone (a webapp died before enqueueing, Redis lost its data).
   */
  async stale(queuedMs: number, runningMs: number, limit = 1000): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `(SELECT id FROM submissions WHERE state = 'queued' AND created_at < now() - make_interval(secs => $1)
        ORDER BY created_at LIMIT $3)
       UNION ALL
       (SELECT id FROM submissions WHERE state = 'running' AND started_at < now() - make_interval(secs => $2)
        ORDER BY started_at LIMIT $3)`,
      [queuedMs / 1000, runningMs / 1000, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Applies retention; returns how many finished submissions were deleted. */
  async deleteFinishedBefore(ageMs: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM submissions WHERE finished_at IS NOT NULL AND finished_at < now() - make_interval(secs => $1)`,
      [ageMs / 1000],
    );
    return rowCount ?? 0;
  }
}
