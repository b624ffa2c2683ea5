import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../../../test/browser/service.js';
import type { Service } from '../../../test/browser/service.js';
import { until } from '../../../test/support/until.js';
import { writeZip } from './zip-fixtures.js';

/**
 * The rest of Judge0 CE's API against a running RemCode (webapp, executor, the real sandbox): the
 * privileged list and delete, `/workers`, `additional_files`, and the answer that names accepted fields
 * RemCode does not apply. Requests are shaped as Judge0's documentation shows them.
 */

const AUTHZ = 'judge0-authz-test-token';
let service: Service;
/** A second RemCode without an executor, authorized but with deleting switched off. */
let noDelete: Service;

beforeAll(async () => {
  service = await startService({
    env: {
      REMCODE_WAIT_TIMEOUT: '60s',
      REMCODE_JUDGE0_AUTHZ_TOKEN: `old-token ${AUTHZ}`,
      REMCODE_JUDGE0_DELETE: 'on',
    },
  });
  noDelete = await startService({ executor: false, env: { REMCODE_JUDGE0_AUTHZ_TOKEN: AUTHZ } });
}, 180_000);

afterAll(async () => {
  await service?.close();
  await noDelete?.close();
});

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

async function call(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; on?: Service } = {},
): Promise<Answer> {
  const response = await fetch(`${(options.on ?? service).url}/judge0${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: text === '' ? null : JSON.parse(text),
  };
}

const authorized = { 'x-auth-user': AUTHZ };

type View = Record<string, unknown> & { status: { id: number; description: string } };

async function run(body: Record<string, unknown>): Promise<View & { token: string }> {
  const answer = await call('POST', '/submissions/?base64_encoded=false&wait=true&fields=*', { body });
  expect(answer.status).toBe(201);
  return answer.json as View & { token: string };
}

describe('Judge0 list and delete', () => {
  const tokens: string[] = [];

  beforeAll(async () => {
    for (const word of ['one', 'two', 'three'])
      tokens.push((await run({ source_code: `print("${word}")`, language_id: 71 })).token);
  }, 120_000);

  it('answers 403 with no body without the authorization token, as Judge0 does', async () => {
    for (const headers of [{}, { 'x-auth-user': 'wrong' }, { 'x-auth-user': `${AUTHZ}x` }]) {
      const list = await call('GET', '/submissions/?page=1', { headers });
      expect(list.status).toBe(403);
      expect(list.text).toBe('');
      const removed = await call('DELETE', `/submissions/${tokens[0]}`, { headers });
      expect(removed.status).toBe(403);
    }
    // Unauthorized delete deleted nothing.
    expect((await call('GET', `/submissions/${tokens[0]}`)).status).toBe(200);
  });

  it('pages through every submission, oldest first, with Judge0 pagination meta', async () => {
    const first = await call('GET', '/submissions/?page=1&per_page=2&base64_encoded=false', {
      headers: authorized,
    });
    expect(first.status).toBe(200);
    const body = first.json as { submissions: View[]; meta: Record<string, unknown> };
    expect(body.meta).toEqual({
      current_page: 1,
      next_page: 2,
      prev_page: null,
      total_pages: 2,
      total_count: 3,
    });
    expect(body.submissions.map((s) => s.token)).toEqual(tokens.slice(0, 2));
    expect(body.submissions[0]).toEqual({
      token: tokens[0],
      time: expect.any(String) as string,
      memory: expect.any(Number) as number,
      stdout: 'one\n',
      stderr: null,
      compile_output: null,
      message: null,
      status: { id: 3, description: 'Accepted' },
    });

    const second = await call('GET', '/submissions?page=2&per_page=2&fields=token,stdout,language_id', {
      headers: { 'x-auth-user': 'old-token' },
    });
    expect(second.json).toEqual({
      submissions: [{ token: tokens[2], stdout: 'three\n', language_id: 71 }],
      meta: { current_page: 2, next_page: null, prev_page: 1, total_pages: 2, total_count: 3 },
    });

    const defaults = await call('GET', '/submissions', { headers: authorized });
    expect((defaults.json as { meta: unknown }).meta).toMatchObject({ current_page: 1, total_pages: 1 });
    const past = await call('GET', '/submissions?page=9', { headers: authorized });
    expect(past.json).toMatchObject({
      submissions: [],
      meta: { current_page: 9, prev_page: 8, next_page: null },
    });
  });

  it.each([
    ['page=0', 'invalid page: 0'],
    ['page=abc', 'invalid page: 0'],
    ['page=-2', 'invalid page: -2'],
    ['per_page=-1', 'invalid per_page: -1'],
    ['per_page=101', 'invalid per_page: 101'],
  ])('refuses %s with Judge0 words', async (query, error) => {
    const answer = await call('GET', `/submissions?${query}`, { headers: authorized });
    expect(answer).toMatchObject({ status: 400, json: { error } });
  });

  it('refuses to delete a submission still in queue or processing, then deletes it once finished', async () => {
    const created = await call('POST', '/submissions?base64_encoded=false', {
      body: { source_code: 'import time\ntime.sleep(2)\nprint("done")', language_id: 71 },
    });
    const { token } = created.json as { token: string };
    const early = await call('DELETE', `/submissions/${token}`, { headers: authorized });
    expect(early.status).toBe(400);
    expect((early.json as { error: string }).error).toMatch(
      /^submission cannot be deleted because its status is (1 \(In Queue\)|2 \(Processing\))$/,
    );
    await until(
      async () => ((await call('GET', `/submissions/${token}`)).json as View).status.id > 2,
      60_000,
      'the submission to finish',
    );
    const removed = await call('DELETE', `/submissions/${token}?fields=token,stdout,status_id`, {
      headers: authorized,
    });
    // Judge0 answers the deleted submission in base64 whatever the request asked.
    expect(removed).toMatchObject({
      status: 200,
      json: { token, stdout: Buffer.from('done\n').toString('base64'), status_id: 3 },
    });
    expect((await call('GET', `/submissions/${token}`)).status).toBe(404);
    expect((await fetch(`${service.url}/api/v1/submissions/${token}`)).status).toBe(404);
    expect((await call('DELETE', `/submissions/${token}`, { headers: authorized })).status).toBe(404);
  });

  it('answers "delete not allowed" where the operator did not switch deleting on', async () => {
    const answer = await call('DELETE', `/submissions/${tokens[0]}`, { headers: authorized, on: noDelete });
    expect(answer).toMatchObject({ status: 400, json: { error: 'delete not allowed' } });
    const config = await call('GET', '/config_info', { on: noDelete });
    expect(config.json).toMatchObject({ enable_submission_delete: false });
    expect((await call('GET', '/config_info')).json).toMatchObject({
      enable_submission_delete: true,
      enable_additional_files: true,
      max_extract_size: 10_240,
    });
  });
});

describe('Judge0 workers', () => {
  it('counts the executor slots with a live heartbeat as workers of the queue', async () => {
    const answer = await call('GET', '/workers');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual([
      {
        queue: expect.any(String) as string,
        total: 2,
        available: 2,
        idle: expect.any(Number) as number,
        working: expect.any(Number) as number,
        paused: 0,
        failed: 0,
      },
    ]);
    const [workers] = answer.json as { idle: number; working: number }[];
    expect(workers!.idle + workers!.working).toBe(2);
  });

  it('answers 503 while no executor is online', async () => {
    const answer = await call('GET', '/workers', { on: noDelete });
    expect(answer.status).toBe(503);
    expect(answer.json).toMatchObject([{ total: 0, available: 0 }]);
  });
});

describe('Judge0 additional_files', () => {
  it('places the archive files beside the program: a module to import and data in a folder', async () => {
    const zip = writeZip([
      { name: 'helper.py', content: 'def twice(n):\n    return 2 * n\n' },
      { name: 'data/', mode: 0o040755 },
      { name: 'data/numbers.txt', content: '20 1\n' },
    ]);
    const view = await run({
      source_code:
        'import helper\nnums = open("data/numbers.txt").read().split()\nprint(helper.twice(sum(map(int, nums))))\n',
      language_id: 71,
      additional_files: zip.toString('base64'),
    });
    expect(view).toMatchObject({
      status: { id: 3 },
      stdout: '42\n',
      source_code: expect.stringContaining('import helper') as string,
    });
  });

  it('compiles a C program against a header from the archive, with stdin as text', async () => {
    const view = await run({
      source_code:
        '#include <stdio.h>\n#include "lib/add.h"\nint main(void) { int a; scanf("%d", &a); printf("%d\\n", add(a, 1)); return 0; }\n',
      language_id: 50,
      stdin: '41',
      additional_files: writeZip([
        { name: 'lib/add.h', content: 'static int add(int a, int b) { return a + b; }\n' },
      ]).toString('base64'),
    });
    expect(view).toMatchObject({ status: { id: 3 }, stdout: '42\n', stdin: '41' });
  });

  it.each([
    [
      [{ name: 'link', content: '/etc/passwd', mode: 0o120777 }],
      'holds "link", which is a link or special file',
    ],
    [
      [{ name: '../../outside.txt', content: 'x' }],
      'holds a file with a path that is not allowed: "../../outside.txt"',
    ],
    [
      [{ name: 'main.py', content: 'print("replaced")' }],
      "holds main.py, the name of the program's own file",
    ],
    [Array.from({ length: 32 }, (_, i) => ({ name: `f${i}.txt`, content: 'x' })), 'holds more than 31 files'],
  ])('refuses an archive that %j with a field error', async (entries, message) => {
    const answer = await call('POST', '/submissions?base64_encoded=false', {
      body: {
        source_code: 'print(1)',
        language_id: 71,
        additional_files: writeZip(entries).toString('base64'),
      },
    });
    expect(answer).toMatchObject({ status: 422, json: { additional_files: [message] } });
  });

  it('refuses an archive file name RemCode does not place, as a field error', async () => {
    const answer = await call('POST', '/submissions', {
      body: {
        source_code: 'print(1)',
        language_id: 71,
        additional_files: writeZip([{ name: 'my file.txt', content: 'x' }]).toString('base64'),
      },
    });
    expect(answer.status).toBe(422);
    expect((answer.json as { additional_files: string[] }).additional_files[0]).toMatch(
      /^holds a file name that is not allowed: "my file.txt"/,
    );
  });

  it('refuses additional_files that are not base64 or not a zip', async () => {
    for (const [value, message] of [
      ['not base64!', 'is not valid base64'],
      [Buffer.from('plain text').toString('base64'), 'is not a zip archive'],
    ]) {
      const answer = await call('POST', '/submissions', {
        body: { source_code: 'print(1)', language_id: 71, additional_files: value },
      });
      expect(answer).toMatchObject({ status: 422, json: { additional_files: [message] } });
    }
  });
});

describe('Judge0 fields RemCode does not apply', () => {
  it('names them in a response header instead of ignoring them silently', async () => {
    const answer = await call(
      'POST',
      '/submissions?base64_encoded=false&wait=true&fields=stack_limit,cpu_extra_time,stdout',
      { body: { source_code: 'print(7)', language_id: 71, stack_limit: 128_000, cpu_extra_time: '1.5' } },
    );
    expect(answer.status).toBe(201);
    expect(answer.headers.get('x-remcode-not-applied')).toBe('cpu_extra_time, stack_limit');
    expect(answer.json).toEqual({ stack_limit: 128_000, cpu_extra_time: '1.5', stdout: '7\n' });

    const plain = await call('POST', '/submissions', { body: { source_code: 'print(7)', language_id: 71 } });
    expect(plain.headers.get('x-remcode-not-applied')).toBeNull();
  });
});

describe('Judge0 number_of_runs', () => {
  it('compiles once and runs the program that many times, judged each time', async () => {
    const view = await run({
      source_code:
        '#include <stdio.h>\nint main(void) { int n; scanf("%d", &n); printf("%d\\n", 2 * n); return 0; }\n',
      language_id: 50,
      stdin: '21',
      expected_output: '42',
      number_of_runs: 3,
    });
    expect(view).toMatchObject({
      status: { id: 3 },
      stdout: '42\n',
      number_of_runs: 3,
      time: expect.any(String) as string,
    });
    const v1 = (await (await fetch(`${service.url}/api/v1/submissions/${view.token}`)).json()) as {
      tests: { verdict: string }[];
    };
    expect(v1.tests.map((t) => t.verdict)).toEqual(['accepted', 'accepted', 'accepted']);

    const wrong = await run({
      source_code: 'print(41)',
      language_id: 71,
      expected_output: '42',
      number_of_runs: 2,
    });
    expect(wrong).toMatchObject({ status: { id: 4, description: 'Wrong Answer' }, stdout: '41\n' });
    expect(
      await call('POST', '/submissions', {
        body: { source_code: 'print(1)', language_id: 71, number_of_runs: 21 },
      }),
    ).toMatchObject({ status: 422, json: { number_of_runs: ['must be less than or equal to 20'] } });
  });
});
