import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JudgeRequest, JudgeResult } from '../../executor/judge/judge.js';
import type { JudgeRun } from '../../executor/worker/job-runner.js';
import { fakeRun, startHarness } from '../../test/support/webapp-harness.js';
import type { Harness } from '../../test/support/webapp-harness.js';

/**
 * A judge driven by the submitted source: "SLEEP" runs until aborted, "BOOM" breaks the judge, "SYNTAX"
 * fails to compile; anything else prints `out:<stdin>` in three chunks and compares when a test case
 * expects output.
 */
const scriptedJudge: JudgeRun = async (request: JudgeRequest): Promise<JudgeResult> => {
  const source = Buffer.from(request.files[0]?.content ?? []).toString();
  if (source.includes('BOOM')) throw new Error('judge exploded');
  if (request.language.compile !== null) {
    request.onEvent?.({ type: 'compiling' });
    if (source.includes('SYNTAX'))
      return { verdict: 'compile_error', compile: fakeRun('', 'error: syntax'), tests: [] };
  }
  const tests: JudgeResult['tests'][number][] = [];
  for (const [index, test] of request.tests.entries()) {
    if (request.signal?.aborted) return { verdict: 'internal_error', compile: null, tests };
    request.onEvent?.({ type: 'running', test: index });
    if (source.includes('SLEEP')) {
      await new Promise<void>((resolve) => {
        if (request.signal?.aborted) resolve();
        request.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      return {
        verdict: 'internal_error',
        compile: null,
        tests: [{ verdict: 'internal_error', result: fakeRun('', '', 'internal_error') }],
      };
    }
    const stdout = Buffer.concat([Buffer.from('out:'), test.stdin]);
    for (const part of [stdout.subarray(0, 2), stdout.subarray(2, 4), stdout.subarray(4)]) {
      request.onEvent?.({ type: 'output', test: index, stream: 'stdout', chunk: part });
      await sleep(30);
    }
    const verdict =
      test.expectedOutput === null || stdout.equals(test.expectedOutput) ? 'accepted' : 'wrong_answer';
    tests.push({ verdict, result: fakeRun(stdout, 'err') });
  }
  const verdict = tests.find((t) => t.verdict !== 'accepted')?.verdict ?? 'accepted';
  return { verdict, compile: request.language.compile ? fakeRun('', '') : null, tests };
};

let h: Harness;

async function post(
  body: unknown,
  query = '',
): Promise<{ status: number; json: Record<string, unknown>; headers: Record<string, unknown> }> {
  const response = await h.app.inject({
    method: 'POST',
    url: `/api/v1/submissions${query}`,
    payload: body as object,
  });
  return { status: response.statusCode, json: response.json(), headers: response.headers };
}

beforeAll(async () => {
  h = await startHarness({
    judge: scriptedJudge,
    env: { REMCODE_WAIT_TIMEOUT: '3s', REMCODE_MAX_FILE: '64KiB', REMCODE_MAX_BODY: '256KiB' },
  });
});

afterAll(async () => {
  await h.close();
});

describe('POST /api/v1/submissions', () => {
  it('answers 201 with the id and a Location, and the submission then finishes', async () => {
    const created = await post({ language: 'python', source: 'print(input())', stdin: 'hi' });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/api/v1/submissions/${String(created.json.id)}`);
    let body: Record<string, unknown> = {};
    for (let i = 0; i < 100 && body.state !== 'finished'; i++) {
      await sleep(50);
      body = (await h.app.inject({ url: created.headers.location as string })).json();
    }
    expect(body).toMatchObject({
      state: 'finished',
      verdict: 'accepted',
      stdout: 'out:hi',
      stderr: 'err',
      exit_code: 0,
      executor: 'test-executor',
    });
    expect(body.started_at).toEqual(expect.any(String));
    expect(body.finished_at).toEqual(expect.any(String));
  });

  it('with wait=true answers 200 with the finished result', async () => {
    const { status, json } = await post({ language: 'python', source: 'x', stdin: 'abc' }, '?wait=true');
    expect(status).toBe(200);
    expect(json).toMatchObject({
      state: 'finished',
      verdict: 'accepted',
      stdout: 'out:abc',
      language: 'python',
      version: '1.2.3',
    });
    expect(json.tests).toHaveLength(1);
  });

  it('with wait=true answers 202 when the wait bound passes first', async () => {
    const { status, json, headers } = await post({ language: 'python', source: 'SLEEP' }, '?wait=true');
    expect(status).toBe(202);
    expect(json.state).toBe('queued');
    await h.app.inject({ method: 'DELETE', url: headers.location as string });
    for (let i = 0; i < 100 && h.executor?.busySlots !== 0; i++) await sleep(20);
    expect(h.executor?.busySlots).toBe(0);
  });

  it('reports accepted and wrong answers per test case, without top-level output', async () => {
    const { json } = await post(
      {
        language: 'c',
        source: 'int main(){}',
        tests: [
          { stdin: '1', expected_output: 'out:1' },
          { stdin: '2', expected_output: 'nope' },
          { stdin: '3' },
        ],
      },
      '?wait=true',
    );
    expect(json.verdict).toBe('wrong_answer');
    expect((json.tests as { verdict: string }[]).map((t) => t.verdict)).toEqual([
      'accepted',
      'wrong_answer',
      'accepted',
    ]);
    expect(json).not.toHaveProperty('stdout');
    expect(json.compile).toMatchObject({ verdict: 'ok', exit_code: 0 });
  });

  it('reports a compile error with the compiler output', async () => {
    const { json } = await post({ language: 'c', source: 'SYNTAX' }, '?wait=true');
    expect(json).toMatchObject({ verdict: 'compile_error', tests: [] });
    expect(json.compile).toMatchObject({ stderr: 'error: syntax' });
  });

  it('stores internal_error with a plain reason when the judge itself fails', async () => {
    const { json } = await post({ language: 'python', source: 'BOOM' }, '?wait=true');
    expect(json).toMatchObject({
      state: 'finished',
      verdict: 'internal_error',
      error: 'the executor could not run this submission',
    });
  });

  it('accepts files and base64, and answers output in base64', async () => {
    const { json } = await post(
      {
        language: 'python-alias',
        files: [
          { name: 'main.py', content: Buffer.from('x').toString('base64') },
          { name: 'lib/util.py', content: '' },
        ],
        stdin: Buffer.from([0xff, 0x00, 0x41]).toString('base64'),
        encoding: 'base64',
      },
      '?wait=true',
    );
    expect(json.encoding).toBe('base64');
    expect(Buffer.from(json.stdout as string, 'base64')).toEqual(
      Buffer.concat([Buffer.from('out:'), Buffer.from([0xff, 0x00, 0x41])]),
    );
  });

  it('keeps text with characters outside the BMP (paired surrogates) intact', async () => {
    const { json } = await post(
      { language: 'python', source: 'x', stdin: 'emoji \ud83d\ude00', args: ['\u{1F600}'] },
      '?wait=true',
    );
    expect(json.stdout).toBe('out:emoji \u{1F600}');
    const source = (await h.app.inject({ url: `/api/v1/submissions/${String(json.id)}/source` })).json<{
      args: string[];
    }>();
    expect(source.args).toEqual(['\u{1F600}']);
  });

  it('parses human limits and clamps them to the operator maxima', async () => {
    const { json } = await post(
      {
        language: 'python',
        source: 'x',
        limits: { cpu_time: '1.5s', memory: '64MiB', wall_time: '1h', processes: 3 },
      },
      '?wait=true',
    );
    expect(json.limits).toMatchObject({
      cpu_time_ms: 1500,
      memory_bytes: 64 * 1024 ** 2,
      wall_time_ms: 30_000,
      processes: 3,
    });
  });

  it('lowers the output limit so that all test cases together store at most 32 MiB', async () => {
    const tests = Array.from({ length: 64 }, () => ({ stdin: '' }));
    const { json } = await post({ language: 'python', source: 'x', tests, limits: { output: '8MiB' } });
    const view = (await h.app.inject({ url: `/api/v1/submissions/${String(json.id)}` })).json<{
      limits: { output_bytes: number };
    }>();
    expect(view.limits.output_bytes).toBe(Math.floor((32 * 1024 ** 2) / 128));
    await h.app.inject({ method: 'DELETE', url: `/api/v1/submissions/${String(json.id)}` });
  });

  it.each([
    ['bad JSON', '{"language":', 400, 'invalid_json'],
    ['an unknown field', { language: 'python', source: 'x', shell: 'rm -rf /' }, 400, 'invalid_request'],
    ['a missing language', { source: 'x' }, 400, 'invalid_request'],
    ['an unknown language', { language: 'cobol', source: 'x' }, 422, 'unknown_language'],
    [
      'a version that is not installed',
      { language: 'python', version: '2.7', source: 'x' },
      422,
      'version_unavailable',
    ],
    [
      'both source and files',
      { language: 'python', source: 'x', files: [{ name: 'a.py', content: '' }] },
      422,
      'invalid_source',
    ],
    ['neither source nor files', { language: 'python' }, 422, 'invalid_source'],
    [
      'an invalid limit',
      { language: 'python', source: 'x', limits: { memory: 'lots' } },
      422,
      'invalid_limits',
    ],
    ['an unknown limit', { language: 'python', source: 'x', limits: { gpu: 1 } }, 400, 'invalid_request'],
    [
      'a negative limit',
      { language: 'python', source: 'x', limits: { cpu_time: -1 } },
      400,
      'invalid_request',
    ],
    ['invalid base64', { language: 'python', source: '@@@', encoding: 'base64' }, 422, 'invalid_base64'],
    [
      'a path escaping the workspace',
      { language: 'python', files: [{ name: '../etc/passwd', content: '' }] },
      422,
      'invalid_file_name',
    ],
    [
      'an absolute path',
      { language: 'python', files: [{ name: '/etc/passwd', content: '' }] },
      422,
      'invalid_file_name',
    ],
    [
      'duplicate file names',
      {
        language: 'python',
        files: [
          { name: 'a.py', content: '' },
          { name: 'a.py', content: '' },
        ],
      },
      422,
      'invalid_file_name',
    ],
    [
      'a NUL in an argument',
      { language: 'python', source: 'x', args: ['a\u0000b'] },
      422,
      'invalid_argument',
    ],
    [
      'a lone surrogate in an argument',
      { language: 'python', source: 'x', args: ['\ud800'] },
      422,
      'invalid_argument',
    ],
    [
      'a lone surrogate in a compiler argument',
      { language: 'python', source: 'x', compiler_args: ['-D\udfff'] },
      422,
      'invalid_argument',
    ],
    ['a lone surrogate in stdin', { language: 'python', source: 'x', stdin: 'a\udc00' }, 422, 'invalid_text'],
    ['a lone surrogate in the source', { language: 'python', source: '\ud83d' }, 422, 'invalid_text'],
    ['an oversize source', { language: 'python', source: 'x'.repeat(70 * 1024) }, 413, 'field_too_large'],
    ['an oversize body', { language: 'python', source: 'x'.repeat(300 * 1024) }, 413, 'body_too_large'],
    [
      'too many arguments',
      { language: 'python', source: 'x', args: Array.from({ length: 200 }, () => 'a') },
      400,
      'invalid_request',
    ],
    ['a non-object body', [1, 2, 3], 400, 'invalid_request'],
  ])('rejects %s with the matching 4xx problem', async (_name, body, status, code) => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/v1/submissions',
      headers: { 'content-type': 'application/json' },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = response.json<{ status: number; code: string; title: string }>();
    expect(problem).toMatchObject({ status, code });
    expect(problem.title.length).toBeGreaterThan(0);
  });

  it('rejects a body that is not JSON with 415', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/api/v1/submissions',
      headers: { 'content-type': 'text/plain' },
      payload: 'print(1)',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ code: 'unsupported_media_type' });
  });
});

describe('GET and DELETE /api/v1/submissions/:id', () => {
  it('answers 404 problems for unknown and malformed ids', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', "1' OR '1'='1"]) {
      for (const method of ['GET', 'DELETE'] as const) {
        const response = await h.app.inject({ method, url: `/api/v1/submissions/${encodeURIComponent(id)}` });
        expect(response.statusCode).toBe(404);
        expect(response.json()).toMatchObject({ code: 'submission_not_found' });
      }
    }
  });

  it('returns what was submitted from /source', async () => {
    const { json } = await post(
      {
        language: 'python',
        source: 'print(2)',
        stdin: 'in',
        args: ['-v'],
        tests: [{ stdin: 'a', expected_output: 'b' }],
      },
      '?wait=true',
    );
    const source = (
      await h.app.inject({ url: `/api/v1/submissions/${String(json.id)}/source` })
    ).json<unknown>();
    expect(source).toEqual({
      id: json.id,
      language: 'python',
      encoding: 'utf8',
      files: [{ name: 'main.py', content: 'print(2)' }],
      stdin: 'in',
      args: ['-v'],
      compiler_args: [],
      tests: [{ stdin: 'a', expected_output: 'b' }],
    });
  });

  it('cancels a running submission, stops its run and deletes it', async () => {
    for (let i = 0; i < 100 && h.executor?.busySlots !== 0; i++) await sleep(20);
    const { json } = await post({ language: 'python', source: 'SLEEP' });
    const url = `/api/v1/submissions/${String(json.id)}`;
    for (
      let i = 0;
      i < 100 && (await h.app.inject({ url })).json<{ state: string }>().state !== 'running';
      i++
    )
      await sleep(20);
    expect(h.executor?.busySlots).toBe(1);
    const deleted = await h.app.inject({ method: 'DELETE', url });
    expect(deleted.statusCode).toBe(204);
    expect((await h.app.inject({ url })).statusCode).toBe(404);
    for (let i = 0; i < 100 && h.executor?.busySlots !== 0; i++) await sleep(20);
    expect(h.executor?.busySlots).toBe(0);
  });

  it('cancels a queued submission before any executor takes it', async () => {
    // Both slots busy, so the next submission stays queued.
    const sleepers = [
      await post({ language: 'python', source: 'SLEEP' }),
      await post({ language: 'python', source: 'SLEEP' }),
    ];
    for (let i = 0; i < 100 && h.executor?.busySlots !== 2; i++) await sleep(20);
    const { json } = await post({ language: 'python', source: 'x' });
    const url = `/api/v1/submissions/${String(json.id)}`;
    expect((await h.app.inject({ url })).json()).toMatchObject({ state: 'queued' });
    expect((await h.app.inject({ method: 'DELETE', url })).statusCode).toBe(204);
    expect(await h.ctx.queue.getJob(String(json.id))).toBeUndefined();
    expect((await h.app.inject({ url })).statusCode).toBe(404);
    for (const s of sleepers) await h.app.inject({ method: 'DELETE', url: s.headers.location as string });
  });
});
