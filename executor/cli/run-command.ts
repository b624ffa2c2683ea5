/**
 * What `remcode-run` does, with its dependencies passed in: parse the command line, load the catalogue,
 * read the files and stdin, judge in a one-slot sandbox, print the result as JSON.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { loadLanguage } from '../languages/catalogue.js';
import { judge, type JudgeResult } from '../judge/judge.js';
import type { RunResult, Sandbox, SandboxOptions } from '../sandbox/types.js';
import { parseCommandLine, USAGE, UsageError } from './options.js';
import { runLimits } from '../languages/run-limits.js';

export const EXIT_COMPLETED = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USAGE = 2;

export interface CommandIo {
  readonly stdin: Readable & { readonly isTTY?: boolean };
  readonly stdout: Writable;
  readonly stderr: Writable;
}

export interface CommandDeps {
  readonly createSandbox: (options?: SandboxOptions) => Promise<Sandbox>;
  readonly signal?: AbortSignal;
}

type Encoding = 'utf-8' | 'base64';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Text as UTF-8 when it is valid UTF-8 (and base64 was not forced), else base64, saying which. */
export function encodeOutput(data: Buffer, forceBase64: boolean): { text: string; encoding: Encoding } {
  if (!forceBase64) {
    try {
      return { text: utf8.decode(data), encoding: 'utf-8' };
    } catch {
      // not UTF-8: fall through to base64
    }
  }
  return { text: data.toString('base64'), encoding: 'base64' };
}

export function runResultJson(result: RunResult, forceBase64: boolean) {
  const stdout = encodeOutput(result.stdout, forceBase64);
  const stderr = encodeOutput(result.stderr, forceBase64);
  return {
    verdict: result.verdict,
    timeLimit: result.timeLimit,
    exitCode: result.exitCode,
    signal: result.signal,
    cpuTimeMs: result.cpuTimeMs,
    wallTimeMs: result.wallTimeMs,
    memoryBytes: result.memoryBytes,
    stdout: stdout.text,
    stdoutEncoding: stdout.encoding,
    stdoutTruncated: result.stdoutTruncated,
    stderr: stderr.text,
    stderrEncoding: stderr.encoding,
    stderrTruncated: result.stderrTruncated,
    error: result.error,
  };
}

export function judgeResultJson(
  language: { id: string; installedVersion: string | null },
  result: JudgeResult,
  forceBase64: boolean,
) {
  return {
    language: language.id,
    version: language.installedVersion,
    verdict: result.verdict,
    compile: result.compile ? runResultJson(result.compile, forceBase64) : null,
    tests: result.tests.map((test) => ({
      verdict: test.verdict,
      result: runResultJson(test.result, forceBase64),
    })),
  };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new UsageError(
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

export async function runCommand(argv: readonly string[], io: CommandIo, deps: CommandDeps): Promise<number> {
  let sandbox: Sandbox | null = null;
  try {
    const options = parseCommandLine(argv);
    if (options.help) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT_COMPLETED;
    }
    const { language, known } = await loadLanguage(
      options.language,
      options.catalogue === null ? {} : { file: options.catalogue },
    );
    if (!language) {
      throw new UsageError(`unknown language "${options.language}"; known: ${known.join(', ')}`);
    }
    if (!language.available) {
      io.stderr.write(
        `remcode-run: ${language.id} is not available here: ${language.unavailableReason ?? 'unknown'}\n`,
      );
      return EXIT_INTERNAL;
    }
    const files = await Promise.all(
      options.files.map(async (path) => ({
        path: basename(path),
        content: await readInput(path, 'source file'),
      })),
    );
    const stdin =
      options.stdinFile !== null
        ? await readInput(options.stdinFile, 'stdin file')
        : io.stdin.isTTY
          ? Buffer.alloc(0)
          : await readAll(io.stdin);
    const expectedOutput =
      options.expectFile === null ? null : await readInput(options.expectFile, 'expected output');

    sandbox = await deps.createSandbox({ slots: 1 });
    const result = await judge(sandbox, {
      language,
      files,
      args: options.args,
      compilerArgs: options.compilerArgs,
      limits: runLimits(options.limits),
      tests: [{ stdin, expectedOutput }],
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    io.stdout.write(`${JSON.stringify(judgeResultJson(language, result, options.base64), null, 2)}\n`);
    return result.verdict === 'internal_error' ? EXIT_INTERNAL : EXIT_COMPLETED;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`remcode-run: ${error.message}\n\n${USAGE}\n`);
      return EXIT_USAGE;
    }
    io.stderr.write(
      `remcode-run: internal error: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return EXIT_INTERNAL;
  } finally {
    await sandbox?.close();
  }
}
