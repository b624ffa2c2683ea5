import type { SubmissionLimits } from './limits.js';
import type { StoredResult } from './submission-schema.js';
import type { SubmissionState, SubmissionVerdict } from './verdicts.js';

/** What a client sent, decoded to bytes. The first file is the entry point. */
export interface SubmissionInput {
  readonly files: readonly { readonly name: string; readonly content: Buffer }[];
  readonly stdin: Buffer;
  readonly args: readonly string[];
  readonly compilerArgs: readonly string[];
  /** Null when the submission is a single run without expected output. */
  readonly tests: readonly { readonly stdin: Buffer; readonly expectedOutput: Buffer | null }[] | null;
}

export interface NewSubmission {
  readonly id: string;
  /** Canonical language id (aliases already resolved). */
  readonly language: string;
  readonly languageVersion: string | null;
  readonly encoding: 'utf8' | 'base64';
  readonly input: SubmissionInput;
  readonly limits: SubmissionLimits;
  readonly apiKeyId: string | null;
}

/** A stored submission: what was sent (less the key it was sent with), then how far it got. */
export interface Submission extends Omit<NewSubmission, 'apiKeyId'> {
  readonly state: SubmissionState;
  readonly verdict: SubmissionVerdict | null;
  readonly result: StoredResult | null;
  readonly executor: string | null;
  readonly attempts: number;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
}

/** A submission's input as JSON, byte fields in base64: how Postgres stores it and a job carries it. */
export interface InputJson {
  readonly files: readonly { readonly name: string; readonly content: string }[];
  readonly stdin: string;
  readonly args: readonly string[];
  readonly compilerArgs: readonly string[];
  readonly tests: readonly { readonly stdin: string; readonly expectedOutput: string | null }[] | null;
}

export function encodeInput(input: SubmissionInput): InputJson {
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

export function decodeInput(json: InputJson): SubmissionInput {
  return {
    files: json.files.map((f) => ({ name: f.name, content: Buffer.from(f.content, 'base64') })),
    stdin: Buffer.from(json.stdin, 'base64'),
    args: [...json.args],
    compilerArgs: [...json.compilerArgs],
    tests:
      json.tests?.map((t) => ({
        stdin: Buffer.from(t.stdin, 'base64'),
        expectedOutput: t.expectedOutput === null ? null : Buffer.from(t.expectedOutput, 'base64'),
      })) ?? null,
  };
}

/** What an executor needs to run a submission, so that a small job need not read its row first. */
export interface SubmissionSpec {
  readonly language: string;
  readonly input: InputJson;
  readonly limits: SubmissionLimits;
}

/**
 * Submissions whose input bytes (files, stdin, expected outputs) add up to at most this travel inside
 * their job. Larger ones, and jobs the sweeper re-enqueues, carry only the id and are read from Postgres.
 */
export const INLINE_SPEC_BYTES = 48 * 1024;

export function inputBytes(input: SubmissionInput): number {
  let bytes = input.stdin.length;
  for (const f of input.files) bytes += f.content.length + f.name.length;
  for (const a of [...input.args, ...input.compilerArgs]) bytes += a.length;
  for (const t of input.tests ?? []) bytes += t.stdin.length + (t.expectedOutput?.length ?? 0);
  return bytes;
}

/**
 * The BullMQ job payload. The row in Postgres stays the truth: an executor claims it before storing
 * anything, and a claim that finds it deleted or finished stops the run.
 */
export interface SubmissionJobData {
  readonly id: string;
  readonly spec?: SubmissionSpec;
}

/** What the executor announces with the result, so a waiting request can answer without a read. */
export interface FinishedNotice {
  readonly executor: string;
  /** Deliveries of the job so far, as counted by the claim. */
  readonly attempts: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly result: StoredResult;
}

/** Results whose JSON is larger than this are announced bare and read from Postgres. */
export const INLINE_NOTICE_BYTES = 64 * 1024;
