import { Type } from '@sinclair/typebox';
import type { Static, TSchema } from '@sinclair/typebox';
import { SUBMISSION_STATES, SUBMISSION_VERDICTS } from './verdicts.js';
import type { SubmissionState, SubmissionVerdict } from './verdicts.js';

/**
 * The one definition of a submission's result, in the two shapes it takes: as stored (the `result`
 * column, the executor's notice; camelCase, output bytes in base64) and as the v1 API sends it
 * (snake_case, output as text or base64 as the submitter asked; `webapp/api/view.ts` maps one onto the
 * other). The types are derived from the schemas. The browser imports the types only, so this module
 * must need nothing of Node.
 */

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const VerdictSchema = Type.Unsafe<SubmissionVerdict>({
  type: 'string',
  enum: [...SUBMISSION_VERDICTS],
});
export const StateSchema = Type.Unsafe<SubmissionState>({ type: 'string', enum: [...SUBMISSION_STATES] });

const Encoding = Type.Union([Type.Literal('utf8'), Type.Literal('base64')]);
const TimeLimit = Type.Union([Type.Literal('cpu'), Type.Literal('wall')]);

/** One sandbox run as stored: byte fields in base64. */
export const StoredRun = Type.Object({
  verdict: Type.Union([VerdictSchema, Type.Literal('ok')]),
  timeLimit: Nullable(TimeLimit),
  exitCode: Nullable(Type.Integer()),
  signal: Nullable(Type.String()),
  cpuTimeMs: Type.Number(),
  wallTimeMs: Type.Number(),
  memoryBytes: Type.Number(),
  stdout: Type.String(),
  stderr: Type.String(),
  stdoutTruncated: Type.Boolean(),
  stderrTruncated: Type.Boolean(),
  error: Nullable(Type.String()),
});
export type StoredRun = Static<typeof StoredRun>;

export const StoredResult = Type.Object({
  verdict: VerdictSchema,
  compile: Nullable(StoredRun),
  tests: Type.Array(Type.Object({ verdict: VerdictSchema, run: StoredRun })),
  error: Nullable(
    Type.String({ description: 'Why the result is `internal_error`, in words fit for the submitter' }),
  ),
});
export type StoredResult = Static<typeof StoredResult>;

/** One run as the API sends it: a test, or the compile step. */
export const RunView = Type.Object({
  verdict: Type.String({
    description: 'For a test: its verdict; for the compile step: the sandbox verdict ("ok" when it ran)',
  }),
  time_limit: Nullable(TimeLimit),
  stdout: Type.String(),
  stderr: Type.String(),
  stdout_truncated: Type.Boolean(),
  stderr_truncated: Type.Boolean(),
  exit_code: Nullable(Type.Integer()),
  signal: Nullable(Type.String()),
  cpu_time_ms: Type.Number(),
  wall_time_ms: Type.Number(),
  memory_bytes: Type.Number(),
});
export type RunView = Static<typeof RunView>;

export const LimitsView = Type.Object({
  cpu_time_ms: Type.Integer(),
  wall_time_ms: Type.Integer(),
  memory_bytes: Type.Integer(),
  processes: Type.Integer(),
  output_bytes: Type.Integer(),
  file_size_bytes: Type.Integer(),
});
export type LimitsView = Static<typeof LimitsView>;

export const SubmissionView = Type.Object(
  {
    id: Type.String(),
    state: StateSchema,
    language: Type.String(),
    version: Nullable(Type.String()),
    encoding: Encoding,
    verdict: Nullable(VerdictSchema),
    error: Nullable(Type.String()),
    limits: LimitsView,
    compile: Nullable(RunView),
    tests: Type.Array(RunView),
    stdout: Type.Optional(Nullable(Type.String())),
    stderr: Type.Optional(Nullable(Type.String())),
    exit_code: Type.Optional(Nullable(Type.Integer())),
    executor: Nullable(Type.String()),
    created_at: Type.String({ format: 'date-time' }),
    started_at: Nullable(Type.String({ format: 'date-time' })),
    finished_at: Nullable(Type.String({ format: 'date-time' })),
  },
  { description: 'A submission and, once finished, its result' },
);
export type SubmissionView = Static<typeof SubmissionView>;
