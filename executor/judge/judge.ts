/**
 * The judge pipeline: one workspace per submission, compiled once (or filled from the compile cache),
 * then every test case run in that same workspace, each with its own verdict. The submission's verdict
 * is the first test case that was not accepted, or `accepted`.
 */
import { extname } from 'node:path';
import type { SubmissionVerdict } from '../../common/verdicts.js';
import { expandArgv } from '../languages/argv.js';
import { TOOL_PATH } from '../languages/catalogue.js';
import { adjustLimits, compileLimits } from '../languages/limits.js';
import type { InstalledLanguage } from '../languages/types.js';
import type {
  OutputStream,
  RunLimits,
  RunResult,
  Sandbox,
  Workspace,
  WorkspaceFile,
} from '../sandbox/types.js';
import { outputsMatch } from './compare.js';
import { CompileCache } from './compile-cache.js';

export interface JudgeTestCase {
  readonly stdin: Uint8Array;
  /** Expected stdout; null means any output is accepted (a plain run). */
  readonly expectedOutput: Uint8Array | null;
}

export type JudgeEvent =
  | { readonly type: 'compiling' }
  | { readonly type: 'running'; readonly test: number }
  | { readonly type: 'output'; readonly test: number; readonly stream: OutputStream; readonly chunk: Buffer };

export interface JudgeRequest {
  readonly language: InstalledLanguage;
  /** The submission's files; the first is the entry point. */
  readonly files: readonly WorkspaceFile[];
  readonly args: readonly string[];
  readonly compilerArgs: readonly string[];
  /** The submission's run limits, before the language's adjustments. */
  readonly limits: RunLimits;
  /** At least one; an empty list runs the program once with empty stdin. */
  readonly tests: readonly JudgeTestCase[];
  /**
   * `compiling` and `running` come as the program starts: a job on a standby slot (waiting its turn) has
   * had none yet.
   */
  readonly onEvent?: (event: JudgeEvent) => void;
  /** Aborting stops the current run and skips the remaining test cases. */
  readonly signal?: AbortSignal;
}

export interface TestCaseResult {
  readonly verdict: SubmissionVerdict;
  readonly result: RunResult;
}

export interface JudgeResult {
  readonly verdict: SubmissionVerdict;
  /** The compile step's result (the cached one on a compile cache hit); null for interpreted languages. */
  readonly compile: RunResult | null;
  /** One entry per test case that ran; none after a compile error. */
  readonly tests: readonly TestCaseResult[];
}

export interface JudgeOptions {
  readonly cache?: CompileCache;
  /** Size of the job's workspace tmpfs. Default 128 MiB. */
  readonly workspaceBytes?: number;
  /** Largest compiled workspace that is snapshotted into the cache. Default 64 MiB. */
  readonly snapshotMaxBytes?: number;
}

export class LanguageUnavailableError extends Error {
  override readonly name = 'LanguageUnavailableError';
  constructor(
    readonly languageId: string,
    readonly reason: string | null,
  ) {
    super(`language ${languageId} is not available on this executor: ${reason ?? 'unknown reason'}`);
  }
}

export class JudgeRequestError extends Error {
  override readonly name = 'JudgeRequestError';
}

const MiB = 1024 ** 2;

/** The whole environment of compile and run steps: nothing of the executor's own environment. */
export function languageEnv(language: Pick<InstalledLanguage, 'env'>): Record<string, string> {
  return { ...language.env, PATH: TOOL_PATH, HOME: '/tmp', LANG: 'C.UTF-8' };
}

/** Maps one finished run onto a test-case verdict. */
export function testVerdict(result: RunResult, expectedOutput: Uint8Array | null): SubmissionVerdict {
  switch (result.verdict) {
    case 'ok':
      if (result.exitCode !== 0 || result.signal !== null) return 'runtime_error';
      if (expectedOutput === null) return 'accepted';
      return !result.stdoutTruncated && outputsMatch(result.stdout, expectedOutput)
        ? 'accepted'
        : 'wrong_answer';
    case 'runtime_error':
    case 'time_limit_exceeded':
    case 'memory_limit_exceeded':
    case 'output_limit_exceeded':
    case 'internal_error':
      return result.verdict;
  }
}

/** The submission's files plus the language's support files (a submitted file of the same path wins). */
function workspaceFiles(language: InstalledLanguage, files: readonly WorkspaceFile[]): WorkspaceFile[] {
  const taken = new Set(files.map((file) => file.path));
  const support = language.supportFiles
    .filter((file) => !taken.has(file.path))
    .map((file) => ({ path: file.path, content: Buffer.from(file.content, 'utf8') }));
  return [...files, ...support];
}

/** Files handed to the compiler as `{sources...}`: those sharing the entry file's extension, entry first. */
function compilerSources(files: readonly WorkspaceFile[]): string[] {
  const entry = files[0]!.path;
  const extension = extname(entry);
  return [
    entry,
    ...files
      .slice(1)
      .map((file) => file.path)
      .filter((path) => extension !== '' && extname(path) === extension),
  ];
}

function compileSucceeded(result: RunResult): boolean {
  return result.verdict === 'ok' && result.exitCode === 0 && result.signal === null;
}

export async function judge(
  sandbox: Sandbox,
  request: JudgeRequest,
  options: JudgeOptions = {},
): Promise<JudgeResult> {
  const { language } = request;
  if (!language.available) throw new LanguageUnavailableError(language.id, language.unavailableReason);
  if (request.files.length === 0) throw new JudgeRequestError('a submission needs at least one file');
  const files = workspaceFiles(language, request.files);
  const source = files[0]!.path;
  const env = languageEnv(language);
  const tests: readonly JudgeTestCase[] =
    request.tests.length > 0 ? request.tests : [{ stdin: new Uint8Array(), expectedOutput: null }];

  const workspace: Workspace = await sandbox.acquire(
    { sizeBytes: options.workspaceBytes ?? 128 * MiB },
    request.signal,
  );
  try {
    let compile: RunResult | null = null;
    if (language.compile) {
      const key = options.cache
        ? CompileCache.key({ language, files, compilerArgs: request.compilerArgs })
        : null;
      const cached = key !== null ? options.cache?.get(key) : undefined;
      if (cached) {
        await workspace.writeFiles(cached.files);
        compile = cached.compile;
      } else {
        await workspace.writeFiles(files);
        compile = await workspace.run({
          onStart: () => request.onEvent?.({ type: 'compiling' }),
          argv: expandArgv(language.compile, {
            source,
            sources: compilerSources(files),
            compilerArgs: request.compilerArgs,
          }),
          env,
          limits: compileLimits(language),
          // The program's run follows when the compile succeeds, which it usually does.
          followedByRun: true,
          ...(request.signal ? { signal: request.signal } : {}),
        });
        if (!compileSucceeded(compile)) {
          return {
            verdict: compile.verdict === 'internal_error' ? 'internal_error' : 'compile_error',
            compile,
            tests: [],
          };
        }
        if (key !== null && options.cache) {
          const snapshot = await workspace.snapshot(options.snapshotMaxBytes ?? 64 * MiB).catch(() => null);
          // A workspace too large to snapshot is simply not cached; the job itself goes on.
          if (snapshot) options.cache.set(key, { files: snapshot, compile });
        }
      }
    } else {
      await workspace.writeFiles(files);
    }

    const argv = expandArgv(language.run, { source, args: request.args });
    const limits = adjustLimits(language, request.limits);
    const results: TestCaseResult[] = [];
    for (const [index, test] of tests.entries()) {
      if (request.signal?.aborted) break;
      const onEvent = request.onEvent;
      const result = await workspace.run({
        onStart: () => onEvent?.({ type: 'running', test: index }),
        argv,
        env,
        limits,
        stdin: test.stdin,
        ...(onEvent
          ? { onOutput: (stream, chunk) => onEvent({ type: 'output', test: index, stream, chunk }) }
          : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      results.push({ verdict: testVerdict(result, test.expectedOutput), result });
    }
    const failed = results.find((test) => test.verdict !== 'accepted');
    const verdict: SubmissionVerdict =
      failed?.verdict ?? (results.length > 0 ? 'accepted' : 'internal_error');
    return { verdict, compile, tests: results };
  } finally {
    // Not awaited: after a run the helper builds the next box before it reads the release, which would
    // put milliseconds of set-up on this job's clock. The slot returns to the pool once the helper has
    // answered, so the next job on it still waits; release() reports its own failures by restarting
    // the slot and never rejects.
    void workspace.release();
  }
}
