import type { SubmissionLimits } from './limits.js';
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

/** One sandbox run as stored: byte fields in base64. */
export interface StoredRun {
  readonly verdict: SubmissionVerdict | 'ok';
  readonly timeLimit: 'cpu' | 'wall' | null;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly cpuTimeMs: number;
  readonly wallTimeMs: number;
  readonly memoryBytes: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
  readonly error: string | null;
}

export interface StoredResult {
  readonly verdict: SubmissionVerdict;
  readonly compile: StoredRun | null;
  readonly tests: readonly { readonly verdict: SubmissionVerdict; readonly run: StoredRun }[];
  /** Why the result is `internal_error`, in words fit for the submitter. */
  readonly error: string | null;
}

export interface Submission {
  readonly id: string;
  readonly state: SubmissionState;
  readonly language: string;
  readonly languageVersion: string | null;
  readonly encoding: 'utf8' | 'base64';
  readonly input: SubmissionInput;
  readonly limits: SubmissionLimits;
  readonly verdict: SubmissionVerdict | null;
  readonly result: StoredResult | null;
  readonly executor: string | null;
  readonly attempts: number;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
}

/** The BullMQ job payload: only the id; the row in Postgres is the truth. */
export interface SubmissionJobData {
  readonly id: string;
}
