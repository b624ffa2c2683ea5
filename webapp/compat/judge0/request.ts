import type { SubmissionLimits } from '../../../common/limits.js';
import type { PublishedLanguage } from '../../../common/languages.js';
import type { SubmissionBody } from '../../api/schemas.js';
import { entryFileName } from '../../api/entry-file.js';
import { ArgumentError, compilerOptions, splitArguments } from './arguments.js';
import { findJudge0Language } from './languages.js';
import { ZipError, unpackZip } from './zip.js';
import type { ZipLimits } from './zip.js';

/** Field errors in Judge0's (Rails') shape, `{field: [message, ...]}`; answered with 422. */
export class Judge0FieldErrors extends Error {
  override readonly name = 'Judge0FieldErrors';
  constructor(readonly errors: Readonly<Record<string, string[]>>) {
    super(
      Object.entries(errors)
        .map(([field, messages]) => `${field} ${messages.join(', ')}`)
        .join('; '),
    );
  }
}

/**
 * What a Judge0 client asked for in Judge0's own terms, kept beside the submission so that answers (and
 * `fields=*`) echo the request as Judge0 would, and so that the callback and the stderr redirection,
 * which RemCode's submission has no field for, are known when the result is shown.
 */
export interface Judge0Attributes {
  readonly languageId: number;
  readonly numberOfRuns: number;
  readonly cpuTimeLimit: number;
  readonly cpuExtraTime: number;
  readonly wallTimeLimit: number;
  readonly memoryLimit: number;
  readonly stackLimit: number;
  readonly maxProcessesAndOrThreads: number;
  readonly maxFileSize: number;
  readonly compilerOptions: string | null;
  readonly commandLineArguments: string | null;
  readonly redirectStderrToStdout: boolean;
  readonly callbackUrl: string | null;
}

/** The bounds of every Judge0 limit, in Judge0's units (seconds, kilobytes), from the operator's. */
export interface Judge0Bounds {
  readonly defaults: SubmissionLimits;
  readonly maxima: SubmissionLimits;
}

/** Judge0's `max_cpu_extra_time`: extra time is accepted for compatibility and not spent. */
const MAX_CPU_EXTRA_TIME = 5;
const DEFAULT_CPU_EXTRA_TIME = 0.5;
const MAX_NUMBER_OF_RUNS = 20;

const seconds = (ms: number): number => ms / 1000;
const kilobytes = (bytes: number): number => Math.floor(bytes / 1024);

/** The numeric limits with their Judge0 default and maximum. */
export function limitTable(bounds: Judge0Bounds) {
  const { defaults: d, maxima: m } = bounds;
  return {
    number_of_runs: { default: 1, max: MAX_NUMBER_OF_RUNS, integer: true },
    cpu_time_limit: { default: seconds(d.cpuTimeMs), max: seconds(m.cpuTimeMs), integer: false },
    cpu_extra_time: { default: DEFAULT_CPU_EXTRA_TIME, max: MAX_CPU_EXTRA_TIME, integer: false },
    wall_time_limit: { default: seconds(d.wallTimeMs), max: seconds(m.wallTimeMs), integer: false },
    memory_limit: { default: kilobytes(d.memoryBytes), max: kilobytes(m.memoryBytes), integer: true },
    stack_limit: { default: 64_000, max: kilobytes(m.memoryBytes), integer: true },
    max_processes_and_or_threads: { default: d.processes, max: m.processes, integer: true },
    max_file_size: { default: kilobytes(d.fileSizeBytes), max: kilobytes(m.fileSizeBytes), integer: true },
  } as const;
}

type Raw = Readonly<Record<string, unknown>>;

function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

/** Rails' reading of a boolean parameter: form bodies send "true"/"1", JSON bodies true. */
function flag(value: unknown): boolean | null {
  if (value === undefined || value === null || value === '') return null;
  if (value === true || value === 'true' || value === '1' || value === 1) return true;
  if (value === false || value === 'false' || value === '0' || value === 0) return false;
  return null;
}

/** Base64 as Judge0's decoder reads it: lenient about line breaks, strict about the alphabet. */
function fromBase64(value: string, field: string, errors: Record<string, string[]>): string {
  const compact = value.replace(/\s+/g, '');
  if (compact.length % 4 === 1 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
    (errors[field] ??= []).push('is not valid base64');
    return '';
  }
  return compact;
}

/**
 * Fields Judge0 applies and RemCode accepts, validates and echoes without applying: the stack shares the
 * memory limit, and the CPU limit is exact (no grace before the kill).
 */
export const NOT_APPLIED = ['cpu_extra_time', 'stack_limit'] as const;

export interface TranslatedRequest {
  readonly body: SubmissionBody;
  readonly attributes: Judge0Attributes;
  /** Which of NOT_APPLIED the request set, so that the answer can say so. */
  readonly notApplied: readonly string[];
}

/**
 * A Judge0 submission request (JSON or form fields) as a RemCode submission body, or Judge0's field
 * errors. Limits are validated as Judge0 validates them (greater than 0, at most the maximum) instead
 * of clamped, and converted from seconds and kilobytes.
 */
export function translateRequest(
  raw: Raw,
  options: {
    readonly base64: boolean;
    readonly languages: readonly PublishedLanguage[];
    readonly bounds: Judge0Bounds;
    readonly checkCallback: (url: string) => string | null;
    /** Bounds of `additional_files`; the source file counts as one of the entries. */
    readonly zipLimits: ZipLimits;
  },
): TranslatedRequest {
  const errors: Record<string, string[]> = {};
  const fail = (field: string, message: string): void => void (errors[field] ??= []).push(message);

  const source = text(raw.source_code);
  if (source === null || source.trim() === '') fail('source_code', "can't be blank");

  let language: ReturnType<typeof findJudge0Language>;
  const languageText = text(raw.language_id);
  if (languageText === null || languageText.trim() === '') fail('language_id', "can't be blank");
  else {
    const id = /^\s*\d+\s*$/.test(languageText) ? Number(languageText) : NaN;
    language = Number.isSafeInteger(id) ? findJudge0Language(options.languages, id) : undefined;
    if (!language) fail('language_id', `language with id ${languageText.slice(0, 32)} doesn't exist`);
  }

  const values: Record<string, number> = {};
  for (const [field, rule] of Object.entries(limitTable(options.bounds))) {
    const given = text(raw[field]);
    if (given === null || given.trim() === '') {
      values[field] = rule.default;
      continue;
    }
    const value = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/.test(given) ? Number(given) : NaN;
    if (Number.isNaN(value)) fail(field, 'is not a number');
    else if (rule.integer && !Number.isInteger(value)) fail(field, 'must be an integer');
    else if (value <= 0) fail(field, 'must be greater than 0');
    else if (value > rule.max) fail(field, `must be less than or equal to ${rule.max}`);
    else values[field] = value;
  }

  for (const field of [
    'enable_per_process_and_thread_time_limit',
    'enable_per_process_and_thread_memory_limit',
  ] as const) {
    // RemCode's limits hold for the whole process tree, which is Judge0's default.
    if (flag(raw[field]) === true) fail(field, 'this option cannot be enabled');
  }
  if (flag(raw.enable_network) === true) fail('enable_network', 'enabling network is not allowed');
  // Judge0 reads additional_files as base64 whatever base64_encoded says.
  let extraFiles: { name: string; content: Buffer }[] = [];
  const zipText = text(raw.additional_files);
  if (zipText !== null && zipText !== '') {
    const compact = fromBase64(zipText, 'additional_files', errors);
    if (compact !== '') {
      try {
        extraFiles = unpackZip(Buffer.from(compact, 'base64'), {
          ...options.zipLimits,
          entries: options.zipLimits.entries - 1,
        });
      } catch (error) {
        if (!(error instanceof ZipError)) throw error;
        fail('additional_files', error.message);
      }
    }
  }

  const compilerText = text(raw.compiler_options);
  let compilerArgs: string[] = [];
  if (compilerText !== null && compilerText.trim() !== '' && language) {
    try {
      compilerArgs = compilerOptions(compilerText, language.remcode.id);
    } catch (error) {
      if (!(error instanceof ArgumentError)) throw error;
      fail('compiler_options', error.message);
    }
  }
  const argsText = text(raw.command_line_arguments);
  let args: string[] = [];
  if (argsText !== null) {
    try {
      args = splitArguments(argsText);
    } catch (error) {
      if (!(error instanceof ArgumentError)) throw error;
      fail('command_line_arguments', error.message);
    }
  }

  const callbackUrl = text(raw.callback_url);
  if (callbackUrl !== null && callbackUrl !== '') {
    const problem = options.checkCallback(callbackUrl);
    if (problem !== null) fail('callback_url', problem);
  }

  let sourceText = source ?? '';
  let stdin = text(raw.stdin) ?? '';
  let expected = text(raw.expected_output);
  if (options.base64) {
    sourceText = fromBase64(sourceText, 'source_code', errors);
    stdin = fromBase64(stdin, 'stdin', errors);
    expected = expected === null ? null : fromBase64(expected, 'expected_output', errors);
  }

  if (Object.keys(errors).length > 0 || !language) throw new Judge0FieldErrors(errors);

  const sourceBytes = Buffer.from(sourceText, options.base64 ? 'base64' : 'utf8');
  const entryName = entryFileName(language.remcode, sourceBytes);
  if (extraFiles.some((f) => f.name === entryName))
    throw new Judge0FieldErrors({
      additional_files: [`holds ${entryName}, the name of the program's own file`],
    });
  const fileSizeBytes = values.max_file_size! * 1024;
  // The files travel base64-encoded when any archive file is there: they are bytes, not text.
  const encoding = options.base64 || extraFiles.length > 0 ? 'base64' : 'utf8';
  const recode = (value: string): string =>
    encoding === 'base64' && !options.base64 ? Buffer.from(value, 'utf8').toString('base64') : value;
  const body: SubmissionBody = {
    language: language.remcode.id,
    encoding,
    files: [
      {
        name: entryName,
        content: encoding === 'base64' ? sourceBytes.toString('base64') : sourceText,
      },
      ...extraFiles.map((f) => ({ name: f.name, content: f.content.toString('base64') })),
    ],
    args,
    compiler_args: compilerArgs,
    limits: {
      cpu_time: Math.round(values.cpu_time_limit! * 1000),
      wall_time: Math.round(values.wall_time_limit! * 1000),
      memory: values.memory_limit! * 1024,
      processes: values.max_processes_and_or_threads!,
      file_size: fileSizeBytes,
      // Judge0's stdout is a file under max_file_size, so that limit bounds the output too.
      output: fileSizeBytes,
    },
    // Expected output makes it a judged test, which gives Judge0's Wrong Answer; number_of_runs repeats
    // that test, so the program is compiled once and run that many times.
    ...(expected !== null || values.number_of_runs! > 1
      ? {
          tests: Array.from({ length: values.number_of_runs! }, () => ({
            stdin: recode(stdin),
            expected_output: expected === null ? null : recode(expected),
          })),
        }
      : { stdin: recode(stdin) }),
  };
  return {
    body,
    attributes: {
      languageId: Number(languageText),
      numberOfRuns: values.number_of_runs!,
      cpuTimeLimit: values.cpu_time_limit!,
      cpuExtraTime: values.cpu_extra_time!,
      wallTimeLimit: values.wall_time_limit!,
      memoryLimit: values.memory_limit!,
      stackLimit: values.stack_limit!,
      maxProcessesAndOrThreads: values.max_processes_and_or_threads!,
      maxFileSize: values.max_file_size!,
      compilerOptions: compilerText !== null && compilerText !== '' ? compilerText : null,
      commandLineArguments: argsText !== null && argsText !== '' ? argsText : null,
      redirectStderrToStdout: flag(raw.redirect_stderr_to_stdout) ?? false,
      callbackUrl: callbackUrl !== null && callbackUrl !== '' ? callbackUrl : null,
    },
    notApplied: NOT_APPLIED.filter((field) => (text(raw[field]) ?? '').trim() !== ''),
  };
}
