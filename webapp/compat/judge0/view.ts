import type { PublishedLanguage } from '../../../common/languages.js';
import type { StoredRun } from '../../../common/submission-schema.js';
import type { Submission } from '../../../common/submission.js';
import { judge0IdOf, judge0Languages } from './languages.js';
import type { Judge0Attributes } from './request.js';
import { outcomeOf, status } from './statuses.js';

/** Every attribute of a Judge0 submission, the set `fields=*` answers. */
export const ALL_FIELDS = [
  'source_code',
  'language_id',
  'stdin',
  'expected_output',
  'stdout',
  'status_id',
  'created_at',
  'finished_at',
  'time',
  'memory',
  'stderr',
  'token',
  'number_of_runs',
  'cpu_time_limit',
  'cpu_extra_time',
  'wall_time_limit',
  'memory_limit',
  'stack_limit',
  'max_processes_and_or_threads',
  'enable_per_process_and_thread_time_limit',
  'enable_per_process_and_thread_memory_limit',
  'max_file_size',
  'compile_output',
  'exit_code',
  'exit_signal',
  'message',
  'wall_time',
  'compiler_options',
  'command_line_arguments',
  'redirect_stderr_to_stdout',
  'callback_url',
  'additional_files',
  'enable_network',
  'status',
  'language',
] as const;

export type Judge0Field = (typeof ALL_FIELDS)[number];

/** What Judge0 answers when `fields` is not given. */
export const DEFAULT_FIELDS: readonly Judge0Field[] = [
  'token',
  'time',
  'memory',
  'stdout',
  'stderr',
  'compile_output',
  'message',
  'status',
];

/** A `fields` value that names an attribute Judge0 does not have; answered with 400. */
export class InvalidFieldsError extends Error {
  override readonly name = 'InvalidFieldsError';
  constructor(readonly fields: readonly string[]) {
    super(`invalid fields: [${fields.join(', ')}]`);
  }
}

export function parseFields(value: string | undefined): readonly Judge0Field[] {
  if (value === undefined || value.trim() === '') return DEFAULT_FIELDS;
  const names = value
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  if (names.includes('*')) return ALL_FIELDS;
  const invalid = names.filter((f) => !(ALL_FIELDS as readonly string[]).includes(f));
  if (invalid.length > 0) throw new InvalidFieldsError(invalid);
  return names as Judge0Field[];
}

/** Output that is not UTF-8 cannot be shown with `base64_encoded=false`; Judge0 answers 400 then. */
export class NotUtf8Error extends Error {
  override readonly name = 'NotUtf8Error';
  constructor() {
    super(
      'some attributes for this submission cannot be converted to UTF-8, use base64_encoded=true query parameter',
    );
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function show(bytes: Buffer | null, base64: boolean): string | null {
  if (bytes === null || bytes.length === 0) return null;
  if (base64) return bytes.toString('base64');
  try {
    return utf8.decode(bytes);
  } catch {
    throw new NotUtf8Error();
  }
}

/** Judge0 serializes its decimal columns as strings: "0.002", "5.0". */
function decimal(value: number): string {
  const fixed = value.toFixed(3).replace(/0+$/, '');
  return fixed.endsWith('.') ? `${fixed}0` : fixed;
}

/** The request attributes of a submission made through another dialect, read from what RemCode kept. */
export function attributesOf(s: Submission): Judge0Attributes {
  return {
    languageId: judge0IdOf(s.language) ?? 0,
    numberOfRuns: 1,
    cpuTimeLimit: s.limits.cpuTimeMs / 1000,
    cpuExtraTime: 0.5,
    wallTimeLimit: s.limits.wallTimeMs / 1000,
    memoryLimit: Math.floor(s.limits.memoryBytes / 1024),
    stackLimit: 64_000,
    maxProcessesAndOrThreads: s.limits.processes,
    maxFileSize: Math.floor(s.limits.fileSizeBytes / 1024),
    compilerOptions: s.input.compilerArgs.length > 0 ? s.input.compilerArgs.join(' ') : null,
    commandLineArguments: s.input.args.length > 0 ? s.input.args.join(' ') : null,
    redirectStderrToStdout: false,
    callbackUrl: null,
  };
}

/**
 * The time and memory Judge0 reports. With `number_of_runs` above 1 Judge0 runs the program again until
 * a run fails, then reports the mean time of those runs and their peak memory; RemCode ran the repeated
 * test cases, so the same figures come from the runs up to the one that decided the status.
 */
function usageOf(
  s: Submission,
  decisive: StoredRun | null,
  numberOfRuns: number,
): Pick<StoredRun, 'cpuTimeMs' | 'wallTimeMs' | 'memoryBytes'> | null {
  const tests = s.result?.tests ?? [];
  if (decisive === null || numberOfRuns <= 1 || tests.length <= 1) return decisive;
  // An accepted submission ran every time; otherwise the first failed run is the decisive one.
  const last = s.result?.verdict === 'accepted' ? -1 : tests.findIndex((t) => t.run === decisive);
  const runs = tests.slice(0, last < 0 ? tests.length : last + 1).map((t) => t.run);
  const mean = (pick: (r: StoredRun) => number): number =>
    runs.reduce((sum, r) => sum + pick(r), 0) / runs.length;
  return {
    cpuTimeMs: mean((r) => r.cpuTimeMs),
    wallTimeMs: mean((r) => r.wallTimeMs),
    memoryBytes: Math.max(...runs.map((r) => r.memoryBytes)),
  };
}

/**
 * A submission in Judge0's shape, limited to `fields`. Times are CPU and wall seconds as decimal strings,
 * memory is kilobytes, output is text or base64 as the request asked.
 */
export function judge0View(
  s: Submission,
  options: {
    readonly fields: readonly Judge0Field[];
    readonly base64: boolean;
    readonly attributes: Judge0Attributes | null;
    readonly languages: readonly PublishedLanguage[];
  },
): Record<string, unknown> {
  const a = options.attributes ?? attributesOf(s);
  const outcome = outcomeOf(s);
  const run = outcome.run;
  const usage = usageOf(s, outcome.run, a.numberOfRuns);
  const b64 = (value: string | undefined): Buffer | null =>
    value === undefined ? null : Buffer.from(value, 'base64');
  let stdout = b64(run?.stdout);
  let stderr = b64(run?.stderr);
  if (a.redirectStderrToStdout && (stderr?.length ?? 0) > 0) {
    // RemCode keeps the streams apart, so stderr follows stdout instead of interleaving with it.
    stdout = Buffer.concat([stdout ?? Buffer.alloc(0), stderr!]);
    stderr = null;
  }
  const compile = s.result?.compile;
  const compileOutput = compile ? Buffer.concat([b64(compile.stdout)!, b64(compile.stderr)!]) : null;
  const test = s.input.tests?.[0];
  const language = judge0Languages(options.languages).find((l) => l.remcode.id === s.language);
  const values: Record<Judge0Field, () => unknown> = {
    source_code: () => show(s.input.files[0]?.content ?? null, options.base64),
    language_id: () => a.languageId,
    stdin: () => show(test ? test.stdin : s.input.stdin, options.base64),
    expected_output: () => show(test?.expectedOutput ?? null, options.base64),
    stdout: () => show(stdout, options.base64),
    status_id: () => outcome.statusId,
    created_at: () => s.createdAt.toISOString(),
    finished_at: () => s.finishedAt?.toISOString() ?? null,
    time: () => (usage ? decimal(usage.cpuTimeMs / 1000) : null),
    memory: () => (usage ? Math.round(usage.memoryBytes / 1024) : null),
    stderr: () => show(stderr, options.base64),
    token: () => s.id,
    number_of_runs: () => a.numberOfRuns,
    cpu_time_limit: () => decimal(a.cpuTimeLimit),
    cpu_extra_time: () => decimal(a.cpuExtraTime),
    wall_time_limit: () => decimal(a.wallTimeLimit),
    memory_limit: () => a.memoryLimit,
    stack_limit: () => a.stackLimit,
    max_processes_and_or_threads: () => a.maxProcessesAndOrThreads,
    enable_per_process_and_thread_time_limit: () => false,
    enable_per_process_and_thread_memory_limit: () => false,
    max_file_size: () => a.maxFileSize,
    compile_output: () => show(compileOutput, options.base64),
    exit_code: () => outcome.exitCode,
    exit_signal: () => outcome.exitSignal,
    message: () =>
      outcome.message === null
        ? null
        : options.base64
          ? Buffer.from(outcome.message).toString('base64')
          : outcome.message,
    wall_time: () => (usage ? decimal(usage.wallTimeMs / 1000) : null),
    compiler_options: () => a.compilerOptions,
    command_line_arguments: () => a.commandLineArguments,
    redirect_stderr_to_stdout: () => a.redirectStderrToStdout,
    callback_url: () => a.callbackUrl,
    additional_files: () => null,
    enable_network: () => false,
    status: () => status(outcome.statusId),
    language: () => ({ id: language?.id ?? a.languageId, name: language?.name ?? s.language }),
  };
  const out: Record<string, unknown> = {};
  for (const field of options.fields) out[field] = values[field]();
  return out;
}
