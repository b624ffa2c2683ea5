/**
 * Graceful removal of one webapp replica, as the edge sees it: on SIGTERM readiness fails at once while
 * requests are still served for the drain delay; then the server closes, a `?wait=true` request in
 * flight still gets its answer, an event stream ends with a reconnect hint, and a client that
 * reconnects with Last-Event-ID to another replica gets the rest and the result. Real processes, real
 * Redis and Postgres.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  TEST_REDIS_URL,
  createTestDatabase,
  deleteRedisPrefix,
  testPrefix,
  type TestDatabase,
} from '../test/support/isolation.js';
import { platformEnv, startExecutor, startWebapp, type ServiceProcess } from '../test/support/processes.js';
import { sseEvents, type SseEvent } from '../test/support/sse.js';
import { until } from '../test/support/until.js';

let db: TestDatabase;
let prefix: string;
const started: ServiceProcess[] = [];

function env(extra: Record<string, string> = {}): Record<string, string> {
  return platformEnv(
    { databaseUrl: db.url, redisUrl: TEST_REDIS_URL, prefix },
    {
      EXECUTOR_SLOTS: '2',
      REMCODE_WAIT_TIMEOUT: '30s',
      ...extra,
    },
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  prefix = testPrefix();
});

afterEach(async () => {
  for (const p of started.splice(0)) {
    p.kill('SIGKILL');
    await p.exited;
  }
});

afterAll(async () => {
  await db.drop();
  await deleteRedisPrefix(prefix);
});

/** Reads events from a stream until `stop` says so or the stream ends. */
async function readEvents(response: Response, stop: (event: SseEvent) => boolean): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  if (!response.body) return events;
  for await (const event of sseEvents(response.body)) {
    events.push(event);
    if (stop(event)) break;
  }
  return events;
}

// The program prints, then outlives the drain, so its stream has an output event before the cut.
const SLOW = {
  language: 'python',
  source: 'import sys, time\nprint("first", flush=True)\ntime.sleep(6)\nprint("second")',
  limits: { wall_time: '20s' },
};

describe('a webapp replica that is told to stop', () => {
  it('fails readiness at once, serves through the drain delay, then ends streams with a reconnect that resumes elsewhere', async () => {
    const leaving = await startWebapp(env({ REMCODE_DRAIN_DELAY: '3s' }));
    started.push(leaving.process);
    const staying = await startWebapp(env());
    started.push(staying.process);
    started.push(await startExecutor(env()));

    const created = await fetch(`${leaving.url}/api/v1/submissions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(SLOW),
    });
    const { id } = (await created.json()) as { id: string };
    const stream = await fetch(`${leaving.url}/api/v1/submissions/${id}/events`);
    const firstPart = readEvents(stream, (e) => e.event === 'result' || e.event === 'reconnect');
    // Wait until the program has printed, so that the stream has an id to resume after.
    await until(
      async () => {
        const s = await fetch(`${leaving.url}/api/v1/submissions/${id}`);
        return ((await s.json()) as { state: string }).state === 'running';
      },
      20_000,
      'the program to run',
    );
    const waiting = fetch(`${leaving.url}/api/v1/submissions?wait=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ language: 'python', source: 'import time\ntime.sleep(4)\nprint("waited")' }),
    });
    await until(
      // The event stream above is one waiter; the ?wait=true request makes two.
      async () => (await pendingWaits(leaving.url)) >= 2,
      20_000,
      'the ?wait=true request to be waiting',
    );

    leaving.process.kill('SIGTERM');
    await leaving.process.waitFor(/webapp draining/, 10_000);
    const ready = await fetch(`${leaving.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'draining' });
    // Still serving during the drain delay: a request sent now is answered, not refused.
    const during = await fetch(`${leaving.url}/api/v1/submissions/${id}`);
    expect(during.status).toBe(200);

    const events = await firstPart;
    expect(events.at(-1)?.event).toBe('reconnect');
    const lastId = events.filter((e) => e.id !== undefined).at(-1)?.id;
    expect(lastId).toBeDefined();
    expect(events.some((e) => e.event === 'output')).toBe(true);

    // The request that was waiting when the signal came still gets its result.
    const waited = await waiting;
    expect(waited.status).toBe(200);
    expect(await waited.json()).toMatchObject({ state: 'finished', stdout: 'waited\n' });
    const code = await leaving.process.exited;
    if (code !== 0) console.log(leaving.process.output().slice(-4000));
    expect(code).toBe(0);

    // The client reconnects elsewhere with Last-Event-ID: nothing repeated, the rest and the result.
    const resumed = await fetch(`${staying.url}/api/v1/submissions/${id}/events`, {
      headers: { 'last-event-id': lastId ?? '' },
    });
    const rest = await readEvents(resumed, (e) => e.event === 'result');
    const before = new Set(events.map((e) => e.id).filter((x) => x !== undefined));
    expect(rest.filter((e) => e.id !== undefined && before.has(e.id))).toEqual([]);
    const result = JSON.parse(rest.at(-1)?.data ?? '{}') as { stdout?: string };
    expect(rest.at(-1)?.event).toBe('result');
    expect(result.stdout).toBe('first\nsecond\n');
  }, 90_000);
});

/** Requests waiting on a result in one webapp, from its own metrics. */
async function pendingWaits(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = /^remcode_wait_requests(?:\{[^}]*\})? (\d+)/m.exec(text);
  return match ? Number(match[1]) : 0;
}
