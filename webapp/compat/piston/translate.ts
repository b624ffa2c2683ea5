import type { PublishedLanguage } from '../../../common/languages.js';
import type { SubmissionLimits } from '../../../common/limits.js';
import type { StoredRun } from '../../../common/submission-schema.js';
import type { Submission } from '../../../common/submission.js';
import type { SubmissionBody } from '../../api/schemas.js';
import { entryFileName } from '../../api/entry-file.js';
import type { PistonRuntime } from './runtimes.js';
import type { PistonExecuteBody, PistonExecuteView, PistonStage } from './schemas.js';

/** A request Piston would refuse, with Piston's message; answered as 400 `{message}`. */
export class PistonRequestError extends Error {
  override readonly name = 'PistonRequestError';
}

const ENCODINGS = ['utf8', 'base64', 'hex'] as const;
type FileEncoding = (typeof ENCODINGS)[number];

const HEX = /^(?:[0-9A-Fa-f]{2})*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function fileBytes(content: string, encoding: FileEncoding, index: number): Buffer {
  if (encoding === 'utf8') return Buffer.from(content, 'utf8');
  const compact = content.replace(/\s+/g, '');
  // Node decodes garbage silently; Piston would write garbage. Saying so helps more than either.
  if (encoding === 'hex' ? !HEX.test(compact) : compact.length % 4 === 1 || !BASE64.test(compact))
    throw new PistonRequestError(`files[${index}].content is not valid ${encoding}`);
  return Buffer.from(compact, encoding);
}

type LimitField = 'run_timeout' | 'run_cpu_time' | 'run_memory_limit';
const RUN_LIMITS: readonly {
  field: LimitField;
  key: keyof SubmissionLimits;
  name: 'wall_time' | 'cpu_time' | 'memory';
}[] = [
  { field: 'run_timeout', key: 'wallTimeMs', name: 'wall_time' },
  { field: 'run_cpu_time', key: 'cpuTimeMs', name: 'cpu_time' },
  { field: 'run_memory_limit', key: 'memoryBytes', name: 'memory' },
];
const COMPILE_LIMITS = ['compile_timeout', 'compile_cpu_time', 'compile_memory_limit'] as const;

function checkLimit(field: string, value: number, maximum: number | null): void {
  if (value === -1) return;
  if (!Number.isFinite(value) || value < 0) throw new PistonRequestError(`${field} must be non-negative`);
  if (maximum !== null && value > maximum)
    throw new PistonRequestError(`${field} cannot exceed the configured limit of ${maximum}`);
}

/**
 * Piston's execute request as a RemCode submission body. The first UTF-8 file is the entry point (Piston
 * runs the first of its code files); files without a name get the name the language's users expect.
 * Limits: 0 or absent takes the operator's default, -1 the operator's maximum, more than that is refused.
 * The compile limits are checked but the compile step keeps the catalogue's own limits.
 */
export function toSubmissionBody(
  body: PistonExecuteBody,
  language: PublishedLanguage,
  maxima: SubmissionLimits,
): SubmissionBody {
  const decoded = body.files.map((file, i) => {
    const encoding = (file.encoding ?? 'utf8') as FileEncoding;
    if (!ENCODINGS.includes(encoding))
      throw new PistonRequestError(`files[${i}].encoding must be one of ${ENCODINGS.join(', ')}`);
    return { name: file.name, encoding, content: fileBytes(file.content, encoding, i) };
  });
  const entryIndex = decoded.findIndex((f) => f.encoding === 'utf8');
  if (entryIndex < 0) throw new PistonRequestError('files must include at least one utf8 encoded file');
  const ordered = [decoded[entryIndex]!, ...decoded.filter((_, i) => i !== entryIndex)];
  const files = ordered.map((f, i) => ({
    name:
      f.name !== undefined && f.name !== ''
        ? f.name
        : i === 0
          ? entryFileName(language, f.content)
          : `file${i}.code`,
    content: f.content.toString('base64'),
  }));

  const limits: NonNullable<SubmissionBody['limits']> = {};
  for (const { field, key, name } of RUN_LIMITS) {
    const value = body[field];
    if (value === undefined || value === 0) continue;
    checkLimit(field, value, maxima[key]);
    limits[name] = value === -1 ? maxima[key] : value;
  }
  for (const field of COMPILE_LIMITS) {
    const value = body[field];
    if (value !== undefined) checkLimit(field, value, null);
  }

  return {
    language: language.id,
    encoding: 'base64',
    files,
    stdin: Buffer.from(body.stdin ?? '', 'utf8').toString('base64'),
    args: body.args ?? [],
    limits,
  };
}

function text(base64: string): string {
  return Buffer.from(base64, 'base64').toString('utf8');
}

function stage(run: StoredRun, status: PistonStage['status'], message: string | null): PistonStage {
  const stdout = text(run.stdout);
  const stderr = text(run.stderr);
  return {
    stdout,
    stderr,
    output: stdout + stderr,
    code: run.exitCode,
    signal: run.signal,
    message,
    status,
    memory: run.memoryBytes,
    cpu_time: run.cpuTimeMs,
    wall_time: run.wallTimeMs,
  };
}

/** Piston's status letters for a run: what ended it, as far as Piston has words for it. */
function runStage(run: StoredRun, verdict: string, error: string | null): PistonStage {
  switch (verdict) {
    case 'time_limit_exceeded':
      return stage(
        { ...run, signal: run.signal ?? 'SIGKILL' },
        'TO',
        run.timeLimit === 'cpu' ? 'CPU time limit exceeded' : 'Time limit exceeded',
      );
    case 'memory_limit_exceeded':
      // Piston has no memory verdict; its runs die of the kernel's kill, which is what happened here too.
      return stage({ ...run, signal: run.signal ?? 'SIGKILL' }, 'SG', 'Memory limit exceeded');
    case 'output_limit_exceeded': {
      const stderrOnly = run.stderrTruncated && !run.stdoutTruncated;
      return stage(
        { ...run, signal: run.signal ?? 'SIGKILL' },
        stderrOnly ? 'EL' : 'OL',
        stderrOnly ? 'stderr length exceeded' : 'stdout length exceeded',
      );
    }
    case 'internal_error':
      return stage(run, 'XX', error ?? run.error ?? 'Internal error');
    case 'runtime_error':
      return run.signal !== null
        ? stage(run, 'SG', `Killed by signal ${run.signal}`)
        : stage(run, 'RE', `Exited with code ${run.exitCode ?? 'unknown'}`);
    default:
      return stage(run, null, null);
  }
}

/**
 * A finished submission in Piston's shape. As in Piston, a failed compile answers `compile` alone; the
 * run never happened.
 */
export function toExecuteView(s: Submission, runtime: PistonRuntime): PistonExecuteView {
  const result = s.result;
  const view: { -readonly [K in keyof PistonExecuteView]: PistonExecuteView[K] } = {
    language: runtime.language,
    version: s.languageVersion ?? runtime.version,
  };
  if (!result) return view;
  if (result.compile) {
    const failed = result.verdict === 'compile_error';
    const compile = result.compile;
    view.compile = failed
      ? stage(compile, compile.verdict === 'time_limit_exceeded' ? 'TO' : compile.signal ? 'SG' : 'RE', null)
      : stage(compile, null, null);
  }
  const test = result.tests[0];
  if (test) view.run = runStage(test.run, test.verdict, result.error);
  return view;
}
