import { describe, expect, it } from 'vitest';
import type { StoredRun } from '../../../common/submission-schema.js';
import type { Submission } from '../../../common/submission.js';
import type { SubmissionVerdict } from '../../../common/verdicts.js';
import { DEFAULT_LIMITS } from '../../../common/limits.js';
import { outcomeOf } from './statuses.js';

const run: StoredRun = {
  verdict: 'ok',
  timeLimit: null,
  exitCode: 0,
  signal: null,
  cpuTimeMs: 1,
  wallTimeMs: 2,
  memoryBytes: 1024,
  stdout: '',
  stderr: '',
  stdoutTruncated: false,
  stderrTruncated: false,
  error: null,
};

function finished(verdict: SubmissionVerdict, extra: Partial<StoredRun> = {}): Submission {
  return {
    id: 'x',
    state: 'finished',
    language: 'c',
    languageVersion: '12.2.0',
    encoding: 'utf8',
    input: { files: [], stdin: Buffer.alloc(0), args: [], compilerArgs: [], tests: null },
    limits: DEFAULT_LIMITS,
    verdict,
    result: { verdict, compile: null, tests: [{ verdict, run: { ...run, ...extra } }], error: null },
    executor: 'e',
    attempts: 1,
    createdAt: new Date(0),
    startedAt: new Date(0),
    finishedAt: new Date(0),
  };
}

describe('outcomeOf', () => {
  it.each([
    ['accepted', {}, 3, null],
    ['wrong_answer', {}, 4, null],
    ['time_limit_exceeded', { timeLimit: 'cpu' as const }, 5, 'Time limit exceeded'],
    ['time_limit_exceeded', { timeLimit: 'wall' as const }, 5, 'Wall time limit exceeded'],
    ['runtime_error', { signal: 'SIGSEGV', exitCode: null }, 7, 'Caught fatal signal 11'],
    ['runtime_error', { signal: 'SIGXFSZ', exitCode: null }, 8, 'Caught fatal signal 25'],
    ['runtime_error', { signal: 'SIGFPE', exitCode: null }, 9, 'Caught fatal signal 8'],
    ['runtime_error', { signal: 'SIGABRT', exitCode: null }, 10, 'Caught fatal signal 6'],
    ['runtime_error', { exitCode: 2 }, 11, 'Exited with error status 2'],
    ['runtime_error', { signal: 'SIGKILL', exitCode: null }, 12, 'Caught fatal signal 9'],
    ['memory_limit_exceeded', { signal: 'SIGKILL', exitCode: null }, 12, 'Memory limit exceeded'],
    ['output_limit_exceeded', {}, 8, 'Output limit exceeded'],
    ['internal_error', {}, 13, 'Internal error'],
  ] as const)('%s %j is status %i', (verdict, extra, id, message) => {
    const outcome = outcomeOf(finished(verdict, extra));
    expect(outcome.statusId).toBe(id);
    expect(outcome.message).toBe(message);
  });

  it('is In Queue, then Processing, before the result', () => {
    expect(outcomeOf({ ...finished('accepted'), state: 'queued', result: null }).statusId).toBe(1);
    expect(outcomeOf({ ...finished('accepted'), state: 'running', result: null }).statusId).toBe(2);
  });
});
