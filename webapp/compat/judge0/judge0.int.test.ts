import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../../../test/browser/service.js';
import type { Service } from '../../../test/browser/service.js';
import { until } from '../../../test/support/until.js';

/**
 * The Judge0 dialect over real HTTP against a running RemCode (webapp and executor processes, the real
 * sandbox), in the request shapes of Judge0 CE's API documentation: JSON and form bodies, base64 on and
 * off, `fields`, `wait`, batches. Judge0's own clients cannot be installed here, so every answer is
 * checked against the documented shapes and status ids instead.
 */

let service: Service;
let base: string;
let hooks: Server;
let hookUrl: string;
const received: { method: string; body: Record<string, unknown> }[] = [];

beforeAll(async () => {
  hooks = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ method: request.method ?? '', body: JSON.parse(body) as Record<string, unknown> });
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  const address = hooks.address();
  hookUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/judge0-hook`;
  service = await startService({
    env: {
      REMCODE_WAIT_TIMEOUT: '60s',
      // The test's receiver listens on loopback, which callbacks may reach only when allowed.
      REMCODE_JUDGE0_CALLBACK_HOSTS: '127.0.0.1',
      REMCODE_JUDGE0_CALLBACK_PRIVATE: 'on',
    },
  });
  base = `${service.url}/judge0`;
}, 120_000);

afterAll(async () => {
  await service?.close();
  await new Promise((resolve) => hooks?.close(resolve));
});

interface Answer {
  status: number;
  json: unknown;
}

async function call(method: string, path: string, body?: unknown, form = false): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : form
        ? {
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams(body as Record<string, string>).toString(),
          }
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json() };
}

type View = Record<string, unknown> & { status: { id: number; description: string } };

/** Polls a token as Judge0's clients do until the status is past In Queue and Processing. */
async function result(token: string, query = 'base64_encoded=false'): Promise<View> {
  let view: View | undefined;
  await until(
    async () => {
      const answer = await call('GET', `/submissions/${token}?${query}`);
      view = answer.json as View;
      return answer.status === 200 && view.status.id > 2;
    },
    30_000,
    `submission ${token} to finish`,
  );
  return view!;
}

async function create(
  body: Record<string, unknown>,
  query = 'base64_encoded=false&wait=false',
): Promise<string> {
  const answer = await call('POST', `/submissions/?${query}`, body);
  expect(answer.status).toBe(201);
  expect(Object.keys(answer.json as object)).toEqual(['token']);
  return (answer.json as { token: string }).token;
}

const C_HELLO =
  '#include <stdio.h>\n\nint main(void) {\n  char name[10];\n  scanf("%s", name);\n  printf("hello, %s\\n", name);\n  return 0;\n}\n';

describe('Judge0 CE requests as documented', () => {
  it('is described in the OpenAPI document beside Piston and the v1 API', async () => {
    const doc = (await (await fetch(`${service.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/submissions',
        '/api/v2/execute',
        '/api/v2/runtimes',
        '/judge0/submissions',
        '/judge0/submissions/batch',
        '/judge0/submissions/{token}',
        '/judge0/languages',
        '/judge0/statuses',
      ]),
    );
    expect(doc.paths['/judge0/submissions/']).toBeUndefined();
  });

  it('creates with JSON and reads back the default fields with Judge0 units', async () => {
    const token = await create({ source_code: C_HELLO, language_id: 50, stdin: 'world' });
    const view = await result(token);
    expect(Object.keys(view).sort()).toEqual(
      ['compile_output', 'memory', 'message', 'status', 'stderr', 'stdout', 'time', 'token'].sort(),
    );
    expect(view).toMatchObject({
      stdout: 'hello, world\n',
      stderr: null,
      message: null,
      token,
      status: { id: 3, description: 'Accepted' },
    });
    expect(view.time).toMatch(/^\d+\.\d+$/);
    expect(Number(view.time)).toBeLessThan(2);
    // Kilobytes: a C hello world uses some hundreds of KB, never bytes and never gigabytes.
    expect(view.memory).toBeGreaterThan(50);
    expect(view.memory).toBeLessThan(200_000);
  });

  it('accepts a form-encoded body with base64 on and answers in base64', async () => {
    const answer = await call(
      'POST',
      '/submissions?base64_encoded=true&wait=false',
      {
        source_code: Buffer.from('print(f"hello, {input()}")').toString('base64'),
        language_id: '71',
        stdin: Buffer.from('Judge0').toString('base64'),
      },
      true,
    );
    expect(answer.status).toBe(201);
    const token = (answer.json as { token: string }).token;
    const view = await result(token, 'base64_encoded=true');
    expect(view.status.id).toBe(3);
    expect(Buffer.from(String(view.stdout), 'base64').toString()).toBe('hello, Judge0\n');
  });

  it('waits with wait=true and answers 201 with the finished submission and every field of fields=*', async () => {
    const answer = await call('POST', '/submissions?base64_encoded=false&wait=true&fields=*', {
      source_code: 'import sys\nprint(sys.argv[1:])\nprint(input())',
      language_id: 71,
      stdin: 'line',
      command_line_arguments: 'a "b c" \'$HOME\'',
      cpu_time_limit: 1.5,
      memory_limit: 128000,
    });
    expect(answer.status).toBe(201);
    const view = answer.json as View;
    expect(view).toMatchObject({
      stdout: "['a', 'b c', '$HOME']\nline\n",
      language_id: 71,
      status_id: 3,
      status: { id: 3, description: 'Accepted' },
      cpu_time_limit: '1.5',
      memory_limit: 128000,
      command_line_arguments: 'a "b c" \'$HOME\'',
      exit_code: 0,
      exit_signal: null,
      enable_network: false,
      source_code: expect.stringContaining('sys.argv') as unknown,
      stdin: 'line',
    });
    expect(view.language).toEqual({
      id: 71,
      name: expect.stringMatching(/^Python \(3\.\d+\.\d+\)$/) as unknown,
    });
    expect(view.wall_time).toMatch(/^\d+\.\d+$/);
    expect(typeof view.created_at).toBe('string');
    expect(typeof view.finished_at).toBe('string');
  });

  it('selects fields by name and refuses unknown ones with 400', async () => {
    const token = await create({ source_code: 'echo hi', language_id: 46 });
    await result(token);
    const picked = await call(
      'GET',
      `/submissions/${token}?base64_encoded=false&fields=stdout,status_id,language_id`,
    );
    expect(picked).toEqual({ status: 200, json: { stdout: 'hi\n', status_id: 3, language_id: 46 } });
    const wrong = await call('GET', `/submissions/${token}?fields=stdout,bogus,also_bogus`);
    expect(wrong).toEqual({ status: 400, json: { error: 'invalid fields: [bogus, also_bogus]' } });
  });

  it('creates and reads batches, with a field error in place of a refused submission', async () => {
    const created = await call('POST', '/submissions/batch?base64_encoded=false', {
      submissions: [
        { language_id: 46, source_code: 'echo hello from Bash' },
        { language_id: 71, source_code: 'print("hello from Python")' },
        { language_id: 99, source_code: 'x' },
        { language_id: 72, source_code: 'puts("hello from Ruby")' },
      ],
    });
    expect(created.status).toBe(201);
    const items = created.json as Record<string, unknown>[];
    expect(items[2]).toEqual({ language_id: ["language with id 99 doesn't exist"] });
    const tokens = [items[0], items[1], items[3]].map((i) => String(i?.token));
    for (const token of tokens) await result(token);
    const read = await call(
      'GET',
      `/submissions/batch?tokens=${tokens.join(',')},00000000-0000-4000-8000-000000000000&base64_encoded=false&fields=token,stdout,status_id,language_id`,
    );
    expect(read).toEqual({
      status: 200,
      json: {
        submissions: [
          { token: tokens[0], stdout: 'hello from Bash\n', status_id: 3, language_id: 46 },
          { token: tokens[1], stdout: 'hello from Python\n', status_id: 3, language_id: 71 },
          { token: tokens[2], stdout: 'hello from Ruby\n', status_id: 3, language_id: 72 },
          null,
        ],
      },
    });
  });

  it.each([
    [4, 'Wrong Answer', { language_id: 71, source_code: 'print(41)', expected_output: '42' }],
    [5, 'Time Limit Exceeded', { language_id: 71, source_code: 'while True: pass', cpu_time_limit: 0.5 }],
    [6, 'Compilation Error', { language_id: 54, source_code: 'int main() { return nope; }' }],
    [
      7,
      'Runtime Error (SIGSEGV)',
      { language_id: 50, source_code: 'int main(void) { volatile int *p = 0; return *p; }' },
    ],
    [
      8,
      'Runtime Error (SIGXFSZ)',
      { language_id: 71, source_code: 'while True: print("y" * 1000)', max_file_size: 64 },
    ],
    [
      9,
      'Runtime Error (SIGFPE)',
      {
        language_id: 50,
        source_code: 'int main(void) { volatile int z = 0; volatile int r = 7 / z; return r; }',
      },
    ],
    [
      10,
      'Runtime Error (SIGABRT)',
      { language_id: 50, source_code: '#include <stdlib.h>\nint main(void) { abort(); }' },
    ],
    [11, 'Runtime Error (NZEC)', { language_id: 71, source_code: 'import sys\nsys.exit(3)' }],
    [
      12,
      'Runtime Error (Other)',
      { language_id: 71, source_code: 'x = bytearray(400 * 1024 * 1024)', memory_limit: 65536 },
    ],
  ])('reports status %i (%s)', async (id, description, body) => {
    const view = await result(await create(body));
    expect(view.status).toEqual({ id, description });
    if (id === 6) expect(view.compile_output).toContain('nope');
    if (id === 11) expect(view.message).toBe('Exited with error status 3');
    if (id === 12) expect(view.message).toBe('Memory limit exceeded');
  });

  it('shows In Queue or Processing while a submission runs', async () => {
    const token = await create({
      language_id: 71,
      source_code: 'import time\ntime.sleep(3)',
      wall_time_limit: 10,
    });
    const early = (await call('GET', `/submissions/${token}?fields=status`)).json as View;
    expect([1, 2]).toContain(early.status.id);
    expect((await result(token)).status.id).toBe(3);
  });

  it('answers field errors with 422 as Judge0 does', async () => {
    expect(await call('POST', '/submissions', { language_id: 71 })).toEqual({
      status: 422,
      json: { source_code: ["can't be blank"] },
    });
    expect(await call('POST', '/submissions', { source_code: 'x', language_id: 9999 })).toEqual({
      status: 422,
      json: { language_id: ["language with id 9999 doesn't exist"] },
    });
    const tooLong = await call('POST', '/submissions', {
      source_code: 'x',
      language_id: 71,
      cpu_time_limit: 1000,
    });
    expect(tooLong.status).toBe(422);
    expect(tooLong.json).toEqual({
      cpu_time_limit: [expect.stringMatching(/^must be less than or equal to \d+/)],
    });
    expect(
      await call('POST', '/submissions', { source_code: 'x', language_id: 71, enable_network: true }),
    ).toEqual({
      status: 422,
      json: { enable_network: ['enabling network is not allowed'] },
    });
    expect((await call('GET', '/submissions/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('passes allowed compiler options as argv and refuses everything else', async () => {
    const ok = await call('POST', '/submissions?base64_encoded=false&wait=true', {
      language_id: 50,
      source_code: '#include <stdio.h>\nint main(void) { printf("%d\\n", ANSWER); }',
      compiler_options: '-O0  -DANSWER=42',
    });
    expect(ok.json).toMatchObject({ stdout: '42\n', status: { id: 3 } });
    for (const options of [
      '-O2; touch /tmp/x',
      '-O2\n-o /tmp/x',
      '-fplugin=/tmp/x.so',
      '@/etc/passwd',
      '-B/tmp',
    ]) {
      const refused = await call('POST', '/submissions', {
        language_id: 50,
        source_code: 'int main(void) { return 0; }',
        compiler_options: options,
      });
      expect(refused.status).toBe(422);
      expect(Object.keys(refused.json as object)).toEqual(['compiler_options']);
    }
    const python = await call('POST', '/submissions', {
      language_id: 71,
      source_code: 'x',
      compiler_options: '-O',
    });
    expect(python).toEqual({
      status: 422,
      json: { compiler_options: ['setting compiler options is not allowed for this language'] },
    });
  });

  it('PUTs the finished submission, base64-encoded, to an allowed callback_url', async () => {
    const token = await create({
      language_id: 71,
      source_code: 'print("called back")',
      callback_url: hookUrl,
    });
    await until(() => received.some((r) => r.body.token === token), 30_000, 'the callback');
    const hook = received.find((r) => r.body.token === token)!;
    expect(hook.method).toBe('PUT');
    expect(hook.body.status).toEqual({ id: 3, description: 'Accepted' });
    expect(Buffer.from(String(hook.body.stdout), 'base64').toString()).toBe('called back\n');
    const refused = await call('POST', '/submissions', {
      language_id: 71,
      source_code: 'x',
      callback_url: 'http://10.0.0.1/hook',
    });
    expect(refused).toEqual({ status: 422, json: { callback_url: ['host 10.0.0.1 is not allowed'] } });
  });

  it('lists languages, statuses, about and config_info', async () => {
    const languages = (await call('GET', '/languages')).json as { id: number; name: string }[];
    expect(languages.map((l) => l.id)).toEqual(expect.arrayContaining([46, 50, 54, 62, 63, 71]));
    expect(languages.find((l) => l.id === 54)?.name).toMatch(/^C\+\+ \(GCC \d+\.\d+\.\d+\)$/);
    const python = await call('GET', '/languages/71');
    expect(python).toMatchObject({
      status: 200,
      json: { id: 71, source_file: 'main.py', is_archived: false },
    });
    expect((await call('GET', '/languages/4')).status).toBe(404);
    const statuses = (await call('GET', '/statuses')).json as { id: number }[];
    expect(statuses.map((s) => s.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect((await call('GET', '/about')).json).toMatchObject({ version: '1.13.1' });
    const config = (await call('GET', '/config_info')).json as Record<string, unknown>;
    expect(config).toMatchObject({
      cpu_time_limit: 2,
      max_cpu_time_limit: 15,
      memory_limit: 262144,
      max_memory_limit: 1048576,
      enable_callbacks: true,
      max_submission_batch_size: 20,
    });
  });
});
