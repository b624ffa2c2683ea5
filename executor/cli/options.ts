/**
 * Command-line parsing of `remcode-run`, kept apart from the entry so that it can be tested without a
 * sandbox. Every mistake is a `UsageError`, which the entry turns into exit code 2.
 */
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_LIMITS, type SubmissionLimits } from '../../common/limits.js';
import { UnitParseError, parseBytes, parseDurationMs } from '../../common/units.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `usage: remcode-run --lang LANG [options] FILE [MORE_FILES...] [-- ARGS...]

Runs FILE (the entry point; more files are placed beside it) in the sandbox and prints the
result as JSON. Standard input comes from --stdin-file, or from this command's own standard
input when it is not a terminal.

  --lang LANG           language id or alias (python, c, cpp, js, ts, java, go, rust, ...)
  --time T              CPU time limit, e.g. 2s or 500ms (default ${DEFAULT_LIMITS.cpuTimeMs}ms)
  --wall T              wall time limit (default: the larger of ${DEFAULT_LIMITS.wallTimeMs}ms and 2 x time + 1s)
  --memory M            memory limit, e.g. 256MiB (default ${DEFAULT_LIMITS.memoryBytes / 1024 ** 2}MiB)
  --processes N         processes and threads at once (default ${DEFAULT_LIMITS.processes})
  --output M            bytes kept per output stream (default ${DEFAULT_LIMITS.outputBytes / 1024 ** 2}MiB)
  --file-size M         largest file the program may write (default ${DEFAULT_LIMITS.fileSizeBytes / 1024 ** 2}MiB)
  --compiler-arg X      extra compiler flag, one argv item; repeat for more
  --stdin-file F        read standard input for the program from F
  --expect F            compare stdout with F (verdict accepted or wrong_answer)
  --base64              print stdout and stderr base64-encoded even when they are valid UTF-8
  --catalogue F         language catalogue YAML (default: the installed one)
  --help                show this text

Exit status: 0 when the program ran (whatever its verdict), 1 on an internal error (including an
internal_error verdict), 2 on a usage error.`;

export interface CliOptions {
  readonly language: string;
  readonly files: readonly string[];
  readonly args: readonly string[];
  readonly compilerArgs: readonly string[];
  readonly limits: SubmissionLimits;
  readonly stdinFile: string | null;
  readonly expectFile: string | null;
  readonly base64: boolean;
  readonly catalogue: string | null;
}

export type ParsedCommandLine = { readonly help: true } | ({ readonly help: false } & CliOptions);

function limit<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof UnitParseError) throw new UsageError(error.message);
    throw error;
  }
}

function count(value: string, option: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UsageError(`--${option} must be a whole number of at least 1`);
  return Number(value);
}

const STRING_OPTIONS = new Set([
  '--lang',
  '--time',
  '--wall',
  '--memory',
  '--processes',
  '--output',
  '--file-size',
  '--compiler-arg',
  '--stdin-file',
  '--expect',
  '--catalogue',
]);

/**
 * Joins `--option value` into `--option=value` before parsing, because `util.parseArgs` refuses a value
 * that starts with a dash in the separated form, and compiler flags always do (`--compiler-arg -O3`).
 */
function joinOptionValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const item = argv[index]!;
    if (item === '--') {
      out.push(...argv.slice(index));
      break;
    }
    const value = argv[index + 1];
    if (STRING_OPTIONS.has(item) && value !== undefined) {
      out.push(`${item}=${value}`);
      index += 1;
    } else out.push(item);
  }
  return out;
}

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinOptionValues(argv),
      allowPositionals: true,
      strict: true,
      tokens: true,
      options: {
        lang: { type: 'string' },
        time: { type: 'string' },
        wall: { type: 'string' },
        memory: { type: 'string' },
        processes: { type: 'string' },
        output: { type: 'string' },
        'file-size': { type: 'string' },
        'compiler-arg': { type: 'string', multiple: true },
        'stdin-file': { type: 'string' },
        expect: { type: 'string' },
        base64: { type: 'boolean' },
        catalogue: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, tokens } = parsed;
  if (values.help) return { help: true };

  // Positionals before `--` are files; everything after it goes to the program untouched.
  const terminator = tokens.findIndex((token) => token.kind === 'option-terminator');
  const files: string[] = [];
  const args: string[] = [];
  tokens.forEach((token, index) => {
    if (token.kind !== 'positional') return;
    (terminator >= 0 && index > terminator ? args : files).push(token.value);
  });

  if (values.lang === undefined) throw new UsageError('--lang is required');
  if (files.length === 0) throw new UsageError('name at least one source file');
  const names = files.map((file) => basename(file));
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined)
    throw new UsageError(`two files are named ${duplicate}; each is placed by its base name`);

  const cpuTimeMs =
    values.time === undefined
      ? DEFAULT_LIMITS.cpuTimeMs
      : limit(() => parseDurationMs(values.time, '--time'));
  const limits: SubmissionLimits = {
    cpuTimeMs,
    wallTimeMs:
      values.wall === undefined
        ? Math.max(DEFAULT_LIMITS.wallTimeMs, 2 * cpuTimeMs + 1000)
        : limit(() => parseDurationMs(values.wall, '--wall')),
    memoryBytes:
      values.memory === undefined
        ? DEFAULT_LIMITS.memoryBytes
        : limit(() => parseBytes(values.memory, '--memory')),
    processes:
      values.processes === undefined ? DEFAULT_LIMITS.processes : count(values.processes, 'processes'),
    outputBytes:
      values.output === undefined
        ? DEFAULT_LIMITS.outputBytes
        : limit(() => parseBytes(values.output, '--output')),
    fileSizeBytes:
      values['file-size'] === undefined
        ? DEFAULT_LIMITS.fileSizeBytes
        : limit(() => parseBytes(values['file-size'], '--file-size')),
  };
  if (limits.cpuTimeMs < 1 || limits.wallTimeMs < 1) throw new UsageError('time limits must be at least 1ms');
  if (limits.memoryBytes < 1024 ** 2) throw new UsageError('--memory must be at least 1MiB');

  return {
    help: false,
    language: values.lang,
    files,
    args,
    compilerArgs: values['compiler-arg'] ?? [],
    limits,
    stdinFile: values['stdin-file'] ?? null,
    expectFile: values.expect ?? null,
    base64: values.base64 ?? false,
    catalogue: values.catalogue ?? null,
  };
}
