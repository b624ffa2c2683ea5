/**
 * Judge0 callbacks are durable: the pending callback is in Postgres, so a webapp killed between
 * accepting a submission and its result still has the callback sent (by the webapp that replaces it);
 * several webapps send each callback once; a client that fails is retried with backoff up to Judge0's
 * three tries; and a name that resolves to a private address is refused when connecting, not only when
 * the URL is accepted. Real webapp and executor processes, the real sandbox, Postgres, Redis and an
 * HTTP receiver.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  TEST_REDIS_URL,
  createTestDatabase,
  deleteRedisPrefix,
  testPrefix,
  type TestDatabase,
} from '../../../test/support/isolation.js';
import {
  platformEnv,
  startExecutor,
  startWebapp,
  type ServiceProcess,
} from '../../../test/support/processes.js';
import { until } from '../../../test/support/until.js';

let db: TestDatabase;
let prefix: string;
let pool: pg.Pool;
let executor: ServiceProcess;
const started: ServiceProcess[] = [];

let receiver: Server;
let receiverPort: number;
/** PUTs received, by token. */
const received = new Map<string, Record<string, unknown>[]>();
/**
 * How many first tries of a callback answer 503, by the program's output (known before the token, so
 * that even an instant result meets it); -1 answers 500 forever.
 */
const failures = new Map<string, number>([
  ['third time lucky\n', 2],
  ['nobody listens\n', -1],
]);

function env(extra: Record<string, string> = {}): Record<string, string> {
  return platformEnv(
    { databaseUrl: db.url, redisUrl: TEST_REDIS_URL, prefix },
    {
      EXECUTOR_SLOTS: '2',
      REMCODE_JUDGE0_CALLBACK_HOSTS: '127.0.0.1',
      REMCODE_JUDGE0_CALLBACK_PRIVATE: 'on',
      ...extra,
    },
  );
}

async function webapp(extra: Record<string, string> = {}): Promise<string> {
  const { process, url } = await startWebapp(env(extra));
  started.push(process);
  return url;
}

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const view = JSON.parse(body) as Record<string, unknown>;
      const token = String(view.token);
      received.set(token, [...(received.get(token) ?? []), view]);
      const output = Buffer.from(typeof view.stdout === 'string' ? view.stdout : '', 'base64').toString();
      const failing = failures.get(output) ?? 0;
      if (failing === -1) response.statusCode = 500;
      else if (received.get(token)!.length <= failing) response.statusCode = 503;
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const address = receiver.address();
  receiverPort = typeof address === 'object' && address ? address.port : 0;
  db = await createTestDatabase();
  prefix = testPrefix();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  executor = await startExecutor(env());
}, 120_000);

afterEach(async () => {
  for (const p of started.splice(0)) {
    p.kill('SIGKILL');
    await p.exited;
  }
});

afterAll(async () => {
  executor?.kill('SIGKILL');
  await executor?.exited;
  await pool?.end();
  await db?.drop();
  await deleteRedisPrefix(prefix);
  await new Promise((resolve) => receiver?.close(resolve));
});

/** Submits through the Judge0 dialect with a callback to the receiver; the callback names its token. */
async function submit(url: string, source: string, hookHost = '127.0.0.1'): Promise<string> {
  const response = await fetch(`${url}/judge0/submissions?base64_encoded=false`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      source_code: source,
      language_id: 71,
      callback_url: `http://${hookHost}:${receiverPort}/hook`,
    }),
  });
  expect(response.status).toBe(201);
  const { token } = (await response.json()) as { token: string };
  return token;
}

async function pending(token: string): Promise<number> {
  const { rowCount } = await pool.query('SELECT 1 FROM judge0_callbacks WHERE submission_id = $1', [token]);
  return rowCount ?? 0;
}

async function waitForLanguages(url: string): Promise<void> {
  await until(
    async () => ((await (await fetch(`${url}/judge0/languages`)).json()) as unknown[]).length > 0,
    60_000,
    'the executor to publish its languages',
  );
}

describe('durable Judge0 callbacks', () => {
  it('are sent by a restarted webapp when the one that accepted the submission was killed', async () => {
    const first = await webapp();
    await waitForLanguages(first);
    const token = await submit(first, 'import time\ntime.sleep(1)\nprint("after the restart")');
    // Killed outright: nothing of it survives but what it stored.
    started[0]!.kill('SIGKILL');
    await started[0]!.exited;
    await until(
      async () =>
        (await pool.query(`SELECT 1 FROM submissions WHERE id = $1 AND state = 'finished'`, [token]))
          .rowCount === 1,
      60_000,
      'the executor to store the result',
    );
    expect(received.has(token)).toBe(false);
    expect(await pending(token)).toBe(1);

    await webapp();
    await until(() => received.has(token), 30_000, 'the callback from the new webapp');
    const [view] = received.get(token)!;
    expect(view).toMatchObject({
      token,
      status: { id: 3, description: 'Accepted' },
      stdout: Buffer.from('after the restart\n').toString('base64'),
    });
    await until(async () => (await pending(token)) === 0, 10_000, 'the delivered callback to be removed');
  });

  it('are sent once each when several webapps share the database', async () => {
    const urls = [await webapp(), await webapp()];
    await waitForLanguages(urls[0]!);
    const tokens: string[] = [];
    for (let i = 0; i < 6; i++) tokens.push(await submit(urls[i % 2]!, `print("replica ${i}")`));
    await until(
      async () => (await pool.query('SELECT 1 FROM judge0_callbacks')).rowCount === 0,
      60_000,
      'every callback to be delivered',
    );
    for (const token of tokens) expect(received.get(token)).toHaveLength(1);
  });

  it('retries a failing client with backoff and stops after a success', async () => {
    const url = await webapp();
    await waitForLanguages(url);
    const token = await submit(url, 'print("third time lucky")');
    await until(async () => (await pending(token)) === 0, 60_000, 'the callback to be delivered');
    expect(received.get(token)).toHaveLength(3);
    expect(received.get(token)![2]).toMatchObject({ token, status: { id: 3 } });
  });

  it('gives up after three failed tries', async () => {
    const url = await webapp();
    await waitForLanguages(url);
    const token = await submit(url, 'print("nobody listens")');
    await until(async () => (await pending(token)) === 0, 60_000, 'the callback to be given up');
    expect(received.get(token)).toHaveLength(3);
  });

  it('refuses at connect time a host name that resolves to a private address', async () => {
    // "localhost" is an allowed name, so the URL is accepted; it resolves to loopback, which is private.
    const url = await webapp({
      REMCODE_JUDGE0_CALLBACK_HOSTS: 'localhost',
      REMCODE_JUDGE0_CALLBACK_PRIVATE: 'off',
    });
    await waitForLanguages(url);
    const token = await submit(url, 'print("to a private address")', 'localhost');
    await until(async () => (await pending(token)) === 0, 60_000, 'the callback to be given up');
    expect(received.has(token)).toBe(false);
    expect(started[0]!.output()).toContain('resolves to no public address');
  });
});
