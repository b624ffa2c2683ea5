import { describe, expect, it } from 'vitest';
import { ApiError, describeFailure, parseLanguages, parseSubmission, withRetries } from './api.js';

describe('describeFailure', () => {
  it.each([
    [429, 'rate_limited', 'Too many requests.', 12, 'Too many requests. Try again in 12 seconds.'],
    [503, 'queue_full', 'The queue is full.', 1, 'The queue is full. Try again in 1 second.'],
    [
      503,
      'unavailable',
      '',
      null,
      'The service is busy and is not accepting new runs right now. Try again in a moment.',
    ],
    [
      422,
      'unknown_language',
      'Unknown language "x". Installed: python.',
      null,
      'Unknown language "x". Installed: python. Correct it and press Run again.',
    ],
    [
      413,
      'field_too_large',
      'source is too large.',
      null,
      'source is too large. Make it smaller and run it again.',
    ],
    [
      503,
      'queue_full',
      'Too many are waiting. Try again in a few seconds.',
      5,
      'Too many are waiting. Try again in a few seconds.',
    ],
    [404, 'not_found', '', null, 'This was not found. It may have been deleted; start a new run instead.'],
  ])('%i %s becomes a sentence with a next step', (status, code, detail, wait, expected) => {
    expect(describeFailure(status, code, detail, wait)).toBe(expected);
  });

  it('never shows internals of a server error', () => {
    expect(describeFailure(500, 'internal_error', 'TypeError: x is undefined at foo.ts:3', null)).toBe(
      'The service had a problem on its side. Try again in a moment; if it keeps happening, tell its operator.',
    );
  });
});

describe('parseSubmission', () => {
  const b64 = (text: string): string => Buffer.from(text).toString('base64');

  it('decodes a base64 submission, its compile output and its single run', () => {
    const sub = parseSubmission({
      id: 'abc',
      state: 'finished',
      verdict: 'runtime_error',
      language: 'c',
      version: '12.2.0',
      encoding: 'base64',
      compile: {
        verdict: 'ok',
        stdout: b64('note: '),
        stderr: b64('warning: x\n'),
        stdout_truncated: false,
        stderr_truncated: true,
      },
      tests: [
        {
          verdict: 'runtime_error',
          time_limit: null,
          stdout: b64('héllo\n'),
          stderr: '',
          stdout_truncated: true,
          stderr_truncated: false,
          exit_code: null,
          signal: 'SIGSEGV',
          cpu_time_ms: 3,
          wall_time_ms: 5,
          memory_bytes: 1024,
        },
      ],
    });
    expect(sub.encoding).toBe('base64');
    expect(sub.compileOutput?.text).toBe('note: warning: x\n');
    expect(sub.compileOutputTruncated).toBe(true);
    expect(sub.tests).toHaveLength(1);
    expect(sub.tests[0]).toMatchObject({
      stdout: { text: 'héllo\n', note: null },
      stdoutTruncated: true,
      signal: 'SIGSEGV',
      exitCode: null,
      cpuTimeMs: 3,
      wallTimeMs: 5,
      memoryBytes: 1024,
    });
  });

  it('reads a queued submission with nothing else yet', () => {
    const sub = parseSubmission({ id: 'q', state: 'queued', verdict: null, encoding: 'utf8', tests: [] });
    expect(sub).toMatchObject({ id: 'q', state: 'queued', verdict: null, tests: [], compileOutput: null });
  });
});

describe('withRetries', () => {
  /** An attempt that fails with each of `failures` in turn, then answers 'ok'. */
  const failing = (failures: ApiError[]) => {
    let calls = 0;
    return {
      attempt: () => {
        const failure = failures[calls++];
        return failure ? Promise.reject(failure) : Promise.resolve('ok');
      },
      calls: () => calls,
    };
  };

  it('repeats while the service cannot be reached, or a proxy answers without a RemCode problem', async () => {
    const f = failing([
      new ApiError(0, 'network', 'unreachable'),
      new ApiError(503, 'http_503', 'no server'),
      new ApiError(502, 'http_502', 'bad gateway'),
    ]);
    await expect(withRetries(f.attempt, 10_000)).resolves.toBe('ok');
    expect(f.calls()).toBe(4);
  });

  it('gives up a failure RemCode describes, and one that outlasts its patience', async () => {
    const busy = failing([new ApiError(503, 'queue_full', 'full')]);
    await expect(withRetries(busy.attempt, 10_000)).rejects.toMatchObject({ code: 'queue_full' });
    expect(busy.calls()).toBe(1);
    const down = failing(Array.from({ length: 50 }, () => new ApiError(0, 'network', 'unreachable')));
    await expect(withRetries(down.attempt, 0)).rejects.toMatchObject({ code: 'network' });
    expect(down.calls()).toBe(1);
  });
});

describe('parseLanguages', () => {
  it('marks a language cold only when the API says so', () => {
    const list = parseLanguages({
      languages: [
        { id: 'python', name: 'Python', version: '3.13', available: true, cold: false },
        { id: 'haskell', name: 'Haskell', version: '9.6.6', available: true, cold: true },
        { id: 'c', name: 'C', version: '14', available: true },
      ],
    });
    expect(list.map((l) => [l.id, l.cold])).toEqual([
      ['python', false],
      ['haskell', true],
      ['c', false],
    ]);
  });
});
