/**
 * The lone webapp (one process, nothing in front) killed outright and started again on its port, as
 * `npm start` or a Swarm task without the edge is: clients that were waiting reconnect and still get
 * their result, nothing is created twice, and a stream resumes where it was cut without repeating an
 * event. Real processes, real Redis and Postgres, a real SIGKILL.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  TEST_REDIS_URL,
  createTestDatabase,
  deleteRedisPrefix,
  testPrefix,
  type TestDatabase,
} from '../test/support/isolation.js';
import { freePort } from '../test/support/ports.js';
import { platformEnv, startExecutor, startWebapp, type ServiceProcess } from '../test/support/processes.js';
import { sseEvents, type SseEvent } from '../test/support/sse.js';
import { until } from '../test/support/until.js';

let db: TestDatabase;
let prefix: string;
const started: ServiceProcess[] = [];

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

function env(port: number): Record<string, string> {
  return platformEnv(
    { databaseUrl: db.url, redisUrl: TEST_REDIS_URL, prefix },
    { PORT: String(port), EXECUTOR_SLOTS: '2', REMCODE_WAIT_TIMEOUT: '60s' },
  );
}

async function webapp(port: number): Promise<ServiceProcess> {
  const { process } = await startWebapp(env(port));
  started.push(process);
  return process;
}

/** Prints, sleeps long enough for a kill and a restart in between, prints again. */
const program = (tag: string, seconds: number): Record<string, unknown> => ({
  language: 'python',
  source: `import time\nprint("${tag} first", flush=True)\ntime.sleep(${seconds})\nprint("${tag} second")`,
  limits: { wall_time: '30s' },
});

/**
 * What a careful client does: repeats a request whose connection failed (refused while the server is
 * down, reset when it died), for a bounded time. Counts the repeats so the test knows the cut happened.
 */
async function persistently(attempt: () => Promise<Response>, repeats: { n: number }): Promise<Response> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      repeats.n++;
      await sleep(250);
    }
  }
}

interface Followed {
  readonly events: SseEvent[];
  readonly reconnects: number;
}

/** An event-stream client that reconnects with Last-Event-ID, as EventSource does, until the result. */
async function follow(url: string): Promise<Followed> {
  const events: SseEvent[] = [];
  let lastId: string | undefined;
  let reconnects = -1;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    reconnects++;
    try {
      const response = await fetch(url, lastId !== undefined ? { headers: { 'last-event-id': lastId } } : {});
      if (response.status !== 200 || !response.body) throw new Error(`HTTP ${response.status}`);
      for await (const event of sseEvents(response.body)) {
        events.push(event);
        if (event.id !== undefined) lastId = event.id;
        if (event.event === 'result' || event.event === 'cancelled') return { events, reconnects };
      }
    } catch {
      // Reset by the kill, or refused while the server is down: reconnect, as EventSource's retry does.
    }
    await sleep(250);
  }
  throw new Error(`no result on the stream; saw ${JSON.stringify(events)}`);
}

/** Until the webapp has seen the executor's languages (before that, submissions get 503 no_executors). */
async function languagesReady(base: string): Promise<void> {
  await until(
    async () => {
      const languages = (await (await fetch(`${base}/api/v1/languages`)).json()) as { available: boolean }[];
      return languages.some((l) => l.available);
    },
    60_000,
    'the executor to publish its languages',
  );
}

async function rows(): Promise<number> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows: found } = await client.query<{ n: string }>('SELECT count(*) AS n FROM submissions');
    return Number(found[0]?.n);
  } finally {
    await client.end();
  }
}

describe('a lone webapp killed and started again', () => {
  it('lets ?wait=true clients and event streams reconnect and get their result, with nothing created twice', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let server = await webapp(port);
    started.push(await startExecutor(env(port)));
    await languagesReady(base);

    // A: created without waiting; its clients wait on it by id (GET ?wait=true, the event stream).
    const createdA = await fetch(`${base}/api/v1/submissions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(program('A', 5)),
    });
    expect(createdA.status).toBe(201);
    const { id: a } = (await createdA.json()) as { id: string };
    const streamed = follow(`${base}/api/v1/submissions/${a}/events`);
    const getRepeats = { n: 0 };
    const gotA = persistently(() => fetch(`${base}/api/v1/submissions/${a}?wait=true`), getRepeats);

    // B: a POST ?wait=true with an Idempotency-Key, repeated with the same key when its answer is lost.
    const postRepeats = { n: 0 };
    const key = `restart-${prefix}`;
    const postedB = persistently(
      () =>
        fetch(`${base}/api/v1/submissions?wait=true`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(program('B', 5)),
        }),
      postRepeats,
    );

    // Kill once A has printed its first line and all three clients are waiting (on two submissions) in this process.
    await until(
      async () => {
        const text = await (await fetch(`${base}/metrics`)).text();
        const waits = Number(/^remcode_wait_requests(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
        const open = Number(/^remcode_event_streams_open(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
        const s = (await (await fetch(`${base}/api/v1/submissions/${a}`)).json()) as { state: string };
        return waits >= 2 && open >= 1 && s.state === 'running';
      },
      30_000,
      'the clients to wait while A runs',
    );
    server.kill('SIGKILL');
    await server.exited;
    // Down for a moment, as while Swarm or a supervisor starts it again.
    await sleep(1_000);
    server = await webapp(port);

    const [stream, getA, postB] = await Promise.all([streamed, gotA, postedB]);
    expect(getRepeats.n).toBeGreaterThan(0);
    expect(postRepeats.n).toBeGreaterThan(0);
    expect(stream.reconnects).toBeGreaterThan(0);

    expect(getA.status).toBe(200);
    expect(await getA.json()).toMatchObject({ id: a, state: 'finished', stdout: 'A first\nA second\n' });
    expect(postB.status).toBe(200);
    const b = (await postB.json()) as { id: string; state: string; stdout: string };
    expect(b).toMatchObject({ state: 'finished', stdout: 'B first\nB second\n' });

    // The stream: each event once, the output in order, and the result at the end.
    const ids = stream.events.flatMap((e) => (e.id !== undefined ? [e.id] : []));
    expect(new Set(ids).size).toBe(ids.length);
    const output = stream.events
      .filter((e) => e.event === 'output')
      .map((e) => (JSON.parse(e.data ?? '{}') as { data: string }).data)
      .join('');
    expect(output).toBe('A first\nA second\n');
    expect(stream.events.at(-1)?.event).toBe('result');

    // A and B, each stored once: the repeated POST was answered with its first submission.
    expect(await rows()).toBe(2);
  }, 120_000);

  it('ends a GET ?wait=true with the current state when it stops, so the client asks again', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = await webapp(port);
    started.push(await startExecutor(env(port)));
    await languagesReady(base);
    const created = await fetch(`${base}/api/v1/submissions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(program('C', 20)),
    });
    const { id } = (await created.json()) as { id: string };
    const waiting = fetch(`${base}/api/v1/submissions/${id}?wait=true`);
    await until(
      async () => {
        const text = await (await fetch(`${base}/metrics`)).text();
        const waits = Number(/^remcode_wait_requests(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
        const s = (await (await fetch(`${base}/api/v1/submissions/${id}`)).json()) as { state: string };
        return waits >= 1 && s.state === 'running';
      },
      30_000,
      'the wait while C runs',
    );
    server.kill('SIGTERM');
    // Answered, not cut off: the program runs for 20 s and the wait could last 60 s, so only the
    // shutdown ends it, with the state as it is.
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ id, state: 'running' });
    expect(await server.exited).toBe(0);
  }, 90_000);
});
