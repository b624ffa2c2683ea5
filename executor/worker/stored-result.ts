import type { StoredResult, StoredRun } from '../../common/submission-schema.js';
import type { FinishedNotice } from '../../common/submission.js';
import type { JudgeResult } from '../judge/judge.js';
import type { RunResult } from '../sandbox/types.js';

export function storedRun(r: RunResult): StoredRun {
  return {
    verdict: r.verdict,
    timeLimit: r.timeLimit,
    exitCode: r.exitCode,
    signal: r.signal,
    cpuTimeMs: r.cpuTimeMs,
    wallTimeMs: r.wallTimeMs,
    memoryBytes: r.memoryBytes,
    stdout: r.stdout.toString('base64'),
    stderr: r.stderr.toString('base64'),
    stdoutTruncated: r.stdoutTruncated,
    stderrTruncated: r.stderrTruncated,
    error: r.error,
  };
}

/** The row's result of a judged submission; an internal error names the first run that reported one. */
export function storedResult(judged: JudgeResult): StoredResult {
  return {
    verdict: judged.verdict,
    compile: judged.compile ? storedRun(judged.compile) : null,
    tests: judged.tests.map((t) => ({ verdict: t.verdict, run: storedRun(t.result) })),
    error:
      judged.verdict === 'internal_error'
        ? (judged.tests.find((t) => t.result.error)?.result.error ??
          judged.compile?.error ??
          'the run failed')
        : null,
  };
}

export function internalError(error: string): StoredResult {
  return { verdict: 'internal_error', compile: null, tests: [], error };
}

/** The `FinishedNotice` JSON around an already serialized result. */
export function finishedNotice(
  executor: string,
  attempts: number,
  times: { startedAt: Date; finishedAt: Date },
  resultJson: string,
): string {
  const head: Omit<FinishedNotice, 'result'> = {
    executor,
    attempts,
    startedAt: times.startedAt.toISOString(),
    finishedAt: times.finishedAt.toISOString(),
  };
  return `${JSON.stringify(head).slice(0, -1)},"result":${resultJson}}`;
}
