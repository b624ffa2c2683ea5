import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../common/limits.js';
import type { StoredRun } from '../../../common/submission-schema.js';
import type { Submission } from '../../../common/submission.js';
import type { SubmissionVerdict } from '../../../common/verdicts.js';
import { attributesOf, judge0View } from './view.js';

function run(cpuTimeMs: number, memoryKb: number, exitCode = 0): StoredRun {
  return {
    verdict: 'ok',
    timeLimit: null,
    exitCode,
    signal: null,
    cpuTimeMs,
    wallTimeMs: cpuTimeMs * 2,
    memoryBytes: memoryKb * 1024,
    stdout: Buffer.from('out\n').toString('base64'),
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    error: null,
  };
}

function finished(
  verdict: SubmissionVerdict,
  tests: { verdict: SubmissionVerdict; run: StoredRun }[],
): Submission {
  const input = { files: [], stdin: Buffer.alloc(0), args: [], compilerArgs: [], tests: [] };
  return {
    id: '00000000-0000-4000-8000-000000000000',
    state: 'finished',
    language: 'python',
    languageVersion: null,
    encoding: 'utf8',
    input,
    limits: DEFAULT_LIMITS,
    verdict,
    result: { verdict, compile: null, tests, error: null },
    executor: 'e',
    attempts: 1,
    createdAt: new Date(0),
    startedAt: new Date(0),
    finishedAt: new Date(0),
  };
}

const fields = ['time', 'wall_time', 'memory', 'status_id'] as const;

describe('judge0View with number_of_runs', () => {
  it('reports the mean time and the peak memory of the runs, as Judge0 does', () => {
    const s = finished('accepted', [
      { verdict: 'accepted', run: run(10, 100) },
      { verdict: 'accepted', run: run(20, 300) },
      { verdict: 'accepted', run: run(30, 200) },
    ]);
    const attributes = { ...attributesOf(s), numberOfRuns: 3 };
    expect(judge0View(s, { fields, base64: false, attributes, languages: [] })).toEqual({
      time: '0.02',
      wall_time: '0.04',
      memory: 300,
      status_id: 3,
    });
  });

  it('counts the runs up to the one that failed, where Judge0 stops', () => {
    const s = finished('runtime_error', [
      { verdict: 'accepted', run: run(10, 100) },
      { verdict: 'runtime_error', run: run(30, 150, 1) },
      { verdict: 'accepted', run: run(500, 900) },
    ]);
    const attributes = { ...attributesOf(s), numberOfRuns: 3 };
    expect(judge0View(s, { fields, base64: false, attributes, languages: [] })).toEqual({
      time: '0.02',
      wall_time: '0.04',
      memory: 150,
      status_id: 11,
    });
  });

  it('shows the deciding run alone for a submission with several test cases made through another API', () => {
    const s = finished('accepted', [
      { verdict: 'accepted', run: run(10, 100) },
      { verdict: 'accepted', run: run(30, 300) },
    ]);
    expect(judge0View(s, { fields, base64: false, attributes: null, languages: [] })).toEqual({
      time: '0.01',
      wall_time: '0.02',
      memory: 100,
      status_id: 3,
    });
  });
});
