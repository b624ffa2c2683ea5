import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  TEST_REDIS_URL,
  createTestDatabase,
  deleteRedisPrefix,
  testPrefix,
} from '../../test/support/isolation.js';
import type { TestDatabase } from '../../test/support/isolation.js';
import { platformEnv, startExecutor, startWebapp } from '../../test/support/processes.js';
import type { ServiceProcess } from '../../test/support/processes.js';
import { until } from '../../test/support/until.js';
import { redisKeys } from '../../common/keys.js';
import { createSubmissionQueue } from '../../common/queue.js';

/**
 * The real service: webapp and executor processes with the real sandbox and judge, against Redis and
 * Postgres, killed and restarted the way production does it.
 */

let db: TestDatabase;
let prefix: string;
let pool: pg.Pool;
const started: ServiceProcess[] = [];

function env(extra: Record<string, string> = {}): Record<string, string> {
  return platformEnv(
    { databaseUrl: db.url, redisUrl: TEST_REDIS_URL, prefix },
    {
      EXECUTOR_SLOTS: '2',
      EXECUTOR_LOCK_DURATION: '2s',
      REMCODE_SWEEP_INTERVAL: '1s',
      REMCODE_QUEUE_MAX: '100000',
      // A C++ compile and three runs behind ?wait=true must not turn into a 202 on a slow machine.
      REMCODE_WAIT_TIMEOUT: '30s',
      ...extra,
    },
  );
}

function track<T extends ServiceProcess | { process: ServiceProcess }>(value: T): T {
  started.push('process' in value ? value.process : value);
  return value;
}

async function submit(
  url: string,
  body: Record<string, unknown>,
  query = '',
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${url}/api/v1/submissions${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function row(id: string): Promise<
  | {
      state: string;
      executor: string | null;
      attempts: number;
      verdict: string | null;
      result: { tests: { run: { stdout: string } }[] } | null;
    }
  | undefined
> {
  const { rows } = await pool.query(
    'SELECT state, executor, attempts, verdict, result FROM submissions WHERE id = $1',
    [id],
  );
  return rows[0] as never;
}

// Long enough to outlast what the tests do while it runs (start processes, poll rows, send signals),
// with room to spare on a slow machine.
const SLOW_PYTHON = {
  language: 'python',
  source: 'import time\ntime.sleep(6)\nprint("done")',
  limits: { wall_time: '20s' },
};

const QUICK_PYTHON = { language: 'python', source: 'print("done")' };

const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 2 });

/** Runs cut short by a leaving executor, by cause, as the executors count them in Redis. */
async function interrupted(): Promise<{ retire: number; stop: number }> {
  const counts = await redis.hgetall(redisKeys(prefix).runsInterrupted);
  return { retire: Number(counts.retire ?? 0), stop: Number(counts.stop ?? 0) };
}

beforeAll(async () => {
  db = await createTestDatabase();
  prefix = testPrefix();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
});

afterEach(async () => {
  for (const p of started.splice(0)) {
    p.kill('SIGKILL');
    await p.exited;
  }
});

afterAll(async () => {
  redis.disconnect();
  await pool.end();
  await db.drop();
  await deleteRedisPrefix(prefix);
});

describe('executor failures', () => {
  it('finishes on another executor, stored once, the job of an executor killed with SIGKILL mid-run', async () => {
    const { url } = track(await startWebapp(env()));
    const first = track(await startExecutor(env({ EXECUTOR_ID: 'first' })));
    const { json } = await submit(url, SLOW_PYTHON);
    const id = String(json.id);
    await until(
      async () => (await row(id))?.state === 'running',
      20_000,
      'the first executor to start the run',
    );
    first.kill('SIGKILL');
    await first.exited;
    track(await startExecutor(env({ EXECUTOR_ID: 'second' })));
    await until(async () => (await row(id))?.state === 'finished', 40_000, 'the second executor to finish');
    const finished = await row(id);
    expect(finished).toMatchObject({ executor: 'second', attempts: 2, verdict: 'accepted' });
    expect(Buffer.from(finished?.result?.tests[0]?.run.stdout ?? '', 'base64').toString()).toBe('done\n');
  });

  it('serves /healthz, /readyz and /metrics on its own port', async () => {
    const executor = track(await startExecutor(env({ EXECUTOR_ID: 'observed' })));
    const line = await executor.waitFor(/"executor running"/);
    const port = (JSON.parse(line) as { metricsPort: number }).metricsPort;
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^remcode_executor_slots\{[^}]*\} 2$/m);
    expect(metrics).toMatch(/^remcode_executor_busy_slots\{[^}]*\} 0$/m);
  });

  it('keeps Python warm by default and counts warm and cold program runs', async () => {
    const { url } = track(await startWebapp(env()));
    const executor = track(await startExecutor(env({ EXECUTOR_ID: 'warm' })));
    const ready = JSON.parse(await executor.waitFor(/"sandbox ready"/)) as { warm: string | null };
    expect(ready.warm).toBe('python');
    const line = await executor.waitFor(/"executor running"/);
    const port = (JSON.parse(line) as { metricsPort: number }).metricsPort;
    const python = await submit(url, { language: 'python', source: 'print(6 * 7)' }, '?wait=true');
    expect(python.json).toMatchObject({ verdict: 'accepted', stdout: '42\n' });
    const shell = await submit(url, { language: 'bash', source: 'echo sh' }, '?wait=true');
    expect(shell.json).toMatchObject({ verdict: 'accepted', stdout: 'sh\n' });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^remcode_program_runs_total\{[^}]*start="warm"[^}]*\} 1$/m);
    expect(metrics).toMatch(/^remcode_program_runs_total\{[^}]*start="cold"[^}]*\} 1$/m);
  });

  it('on SIGTERM finishes the run it holds within the grace and exits 0', async () => {
    const { url } = track(await startWebapp(env()));
    const executor = track(
      await startExecutor(env({ EXECUTOR_ID: 'graceful', EXECUTOR_SHUTDOWN_GRACE: '20s' })),
    );
    const id = String((await submit(url, SLOW_PYTHON)).json.id);
    await until(async () => (await row(id))?.state === 'running', 20_000, 'the run to start');
    executor.kill('SIGTERM');
    expect(await executor.exited).toBe(0);
    expect(await row(id)).toMatchObject({ state: 'finished', executor: 'graceful', verdict: 'accepted' });
  });

  it('holds a job on standby unclaimed, and on SIGTERM hands it back at once while finishing the run', async () => {
    const { url } = track(await startWebapp(env()));
    const executor = track(
      await startExecutor(
        env({
          EXECUTOR_ID: 'standby',
          EXECUTOR_SLOTS: '1',
          EXECUTOR_STANDBY_SLOTS: '1',
          EXECUTOR_SHUTDOWN_GRACE: '20s',
        }),
      ),
    );
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const queue = createSubmissionQueue(connection, prefix);
    try {
      const first = String((await submit(url, SLOW_PYTHON)).json.id);
      await until(async () => (await row(first))?.state === 'running', 20_000, 'the first run to start');
      const second = String((await submit(url, QUICK_PYTHON)).json.id);
      await until(
        async () => ((await queue.getJobCounts('active')).active ?? 0) === 2,
        20_000,
        'the executor to hold the second job',
      );
      // Held, files in place, but not started: its row is untouched.
      expect(await row(second)).toMatchObject({ state: 'queued', attempts: 0 });
      const stopping = Date.now();
      executor.kill('SIGTERM');
      await until(
        async () => ((await queue.getJobCounts('wait')).wait ?? 0) === 1,
        2_000,
        'the standby job to be handed back',
      );
      expect(Date.now() - stopping).toBeLessThan(2_000);
      expect(await executor.exited).toBe(0);
      expect(await row(first)).toMatchObject({ state: 'finished', executor: 'standby', verdict: 'accepted' });
      expect(await row(second)).toMatchObject({ state: 'queued', attempts: 0 });
      track(await startExecutor(env({ EXECUTOR_ID: 'successor' })));
      await until(
        async () => (await row(second))?.state === 'finished',
        40_000,
        'the successor to finish it',
      );
      expect(await row(second)).toMatchObject({ executor: 'successor', verdict: 'accepted', attempts: 1 });
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });

  it('on SIGTERM hands back a run that outlasts the grace, counts it interrupted, and another executor finishes it', async () => {
    const { url } = track(await startWebapp(env()));
    const executor = track(
      await startExecutor(env({ EXECUTOR_ID: 'hasty', EXECUTOR_SHUTDOWN_GRACE: '300ms' })),
    );
    const before = await interrupted();
    const id = String((await submit(url, SLOW_PYTHON)).json.id);
    await until(async () => (await row(id))?.state === 'running', 20_000, 'the run to start');
    executor.kill('SIGTERM');
    expect(await executor.exited).toBe(0);
    expect((await row(id))?.state).toBe('running');
    expect(await interrupted()).toEqual({ ...before, stop: before.stop + 1 });
    track(await startExecutor(env({ EXECUTOR_ID: 'patient' })));
    await until(async () => (await row(id))?.state === 'finished', 40_000, 'the second executor to finish');
    expect(await row(id)).toMatchObject({ executor: 'patient', verdict: 'accepted' });
  });

  it('asked to retire, lets its run finish past the SIGTERM grace, then exits 0, interrupting nothing', async () => {
    const { url } = track(await startWebapp(env()));
    const executor = track(
      await startExecutor(env({ EXECUTOR_ID: 'retiree', EXECUTOR_SHUTDOWN_GRACE: '300ms' })),
    );
    const before = await interrupted();
    const id = String((await submit(url, SLOW_PYTHON)).json.id);
    await until(async () => (await row(id))?.state === 'running', 20_000, 'the run to start');
    // What the autoscaler writes to retire an executor before lowering the replica count.
    await redis.hset(
      redisKeys(prefix).retire,
      'retiree',
      JSON.stringify({ service: 'executor', at: Date.now() }),
    );
    expect(await executor.exited).toBe(0);
    expect(await row(id)).toMatchObject({
      state: 'finished',
      executor: 'retiree',
      attempts: 1,
      verdict: 'accepted',
    });
    expect(await interrupted()).toEqual(before);
  });
});

describe('real runs through the API', () => {
  it('streams live output in order and complete, then the result, for a program that prints over time', async () => {
    const { url } = track(await startWebapp(env()));
    track(await startExecutor(env({ EXECUTOR_ID: 'streamer' })));
    const source = [
      'import sys, time',
      'for i in range(20):',
      '    print(f"out {i}", flush=True)',
      '    if i % 5 == 0:',
      '        print(f"err {i}", file=sys.stderr, flush=True)',
      '    time.sleep(0.02)',
    ].join('\n');
    const id = String((await submit(url, { language: 'python', source })).json.id);
    const text = await (await fetch(`${url}/api/v1/submissions/${id}/events`)).text();
    const events = text
      .split('\n\n')
      .map((block) => ({
        event: /^event: (.*)$/m.exec(block)?.[1],
        data: /^data: (.*)$/m.exec(block)?.[1],
      }))
      .filter((e) => e.event !== undefined);
    const output = (stream: string): string =>
      events
        .filter((e) => e.event === 'output')
        .map((e) => JSON.parse(e.data ?? '{}') as { stream: string; data: string })
        .filter((d) => d.stream === stream)
        .map((d) => d.data)
        .join('');
    const expectedOut = Array.from({ length: 20 }, (_, i) => `out ${i}\n`).join('');
    expect(output('stdout')).toBe(expectedOut);
    expect(output('stderr')).toBe('err 0\nerr 5\nerr 10\nerr 15\n');
    expect(events.filter((e) => e.event === 'output').length).toBeGreaterThan(2);
    expect(events.at(-1)?.event).toBe('result');
    expect(JSON.parse(events.at(-1)?.data ?? '{}')).toMatchObject({
      verdict: 'accepted',
      stdout: expectedOut,
    });
  });

  it('judges each test case of a compiled program, reporting accepted and wrong answers', async () => {
    const { url } = track(await startWebapp(env()));
    track(await startExecutor(env({ EXECUTOR_ID: 'judge' })));
    const { json } = await submit(
      url,
      {
        language: 'cpp',
        source: '#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a*b<<"\\n";}',
        tests: [
          { stdin: '6 7', expected_output: '42\n' },
          { stdin: '2 2', expected_output: '5\n' },
          { stdin: '10 10', expected_output: '100' },
        ],
      },
      '?wait=true',
    );
    expect(json.verdict).toBe('wrong_answer');
    expect((json.tests as { verdict: string; stdout: string }[]).map((t) => [t.verdict, t.stdout])).toEqual([
      ['accepted', '42\n'],
      ['wrong_answer', '4\n'],
      ['accepted', '100\n'],
    ]);
    expect(json.compile).toMatchObject({ exit_code: 0 });
  });

  it('stops a running program when its submission is deleted and frees the slot', async () => {
    const { url } = track(await startWebapp(env()));
    track(await startExecutor(env({ EXECUTOR_ID: 'canceller', EXECUTOR_SLOTS: '1' })));
    const id = String(
      (
        await submit(url, {
          language: 'python',
          source: 'while True: pass',
          limits: { cpu_time: '15s', wall_time: '30s' },
        })
      ).json.id,
    );
    await until(async () => (await row(id))?.state === 'running', 20_000, 'the run to start');
    expect((await fetch(`${url}/api/v1/submissions/${id}`, { method: 'DELETE' })).status).toBe(204);
    // With one slot, the next submission can only finish once the endless one was stopped.
    const next = await submit(url, { language: 'python', source: 'print("free")' }, '?wait=true');
    expect(next.json).toMatchObject({ verdict: 'accepted', stdout: 'free\n' });
    expect(await row(id)).toBeUndefined();
  });
});

describe('load', () => {
  it('loses no accepted submission when the webapp is killed and restarted under load', async () => {
    const web = track(await startWebapp(env()));
    const port = new URL(web.url).port;
    track(await startExecutor(env({ EXECUTOR_ID: 'steady' })));
    const accepted = new Map<string, number>();
    let url = web.url;
    let stop = false;
    const client = async (worker: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const n = worker * 100_000 + i;
        try {
          const { status, json } = await submit(url, {
            language: 'python',
            source: 'print(int(input()) * 2)',
            stdin: String(n),
          });
          if (status === 201) accepted.set(String(json.id), n);
        } catch {
          await sleep(50); // The webapp is down: a refused request was never accepted.
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, w) => client(w));
    await until(() => accepted.size >= 100, 30_000, '100 accepted submissions');
    web.process.kill('SIGKILL');
    await web.process.exited;
    const restarted = track(await startWebapp(env({ PORT: port })));
    url = restarted.url;
    const before = accepted.size;
    await until(() => accepted.size >= before + 100, 30_000, '100 more after the restart');
    stop = true;
    await Promise.all(clients);
    await until(
      async () =>
        (
          await pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM submissions WHERE state <> 'finished'",
          )
        ).rows[0]?.n === 0,
      120_000,
      'every stored submission to finish',
    );
    const { rows } = await pool.query<{
      id: string;
      verdict: string;
      result: { tests: { run: { stdout: string } }[] };
    }>('SELECT id, verdict, result FROM submissions');
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const [id, n] of accepted) {
      const r = byId.get(id);
      expect(r?.verdict, id).toBe('accepted');
      expect(Buffer.from(r?.result.tests[0]?.run.stdout ?? '', 'base64').toString()).toBe(`${n * 2}\n`);
    }
  }, 180_000);

  it('finishes a burst of 2,000 submissions, each with its own correct result', async () => {
    const { url } = track(await startWebapp(env()));
    track(await startExecutor(env({ EXECUTOR_ID: 'burst' })));
    const ids: { id: string; n: number }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < 2000) {
          const n = next++;
          const { status, json } = await submit(url, {
            language: 'python',
            source: 'print(int(input()) + 1)',
            stdin: String(n),
          });
          expect(status).toBe(201);
          ids.push({ id: String(json.id), n });
        }
      }),
    );
    expect(ids).toHaveLength(2000);
    const all = ids.map((i) => i.id);
    await until(
      async () =>
        (
          await pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM submissions WHERE state = 'finished' AND id = ANY($1::uuid[])",
            [all],
          )
        ).rows[0]?.n === 2000,
      240_000,
      'the burst to finish',
    );
    const { rows } = await pool.query<{
      id: string;
      verdict: string;
      result: { tests: { run: { stdout: string } }[] };
    }>('SELECT id, verdict, result FROM submissions WHERE id = ANY($1::uuid[])', [ids.map((i) => i.id)]);
    expect(rows).toHaveLength(2000);
    const byId = new Map(rows.map((r) => [r.id, r]));
    let wrong = 0;
    for (const { id, n } of ids) {
      const r = byId.get(id);
      if (
        r?.verdict !== 'accepted' ||
        Buffer.from(r.result.tests[0]?.run.stdout ?? '', 'base64').toString() !== `${n + 1}\n`
      )
        wrong++;
    }
    expect(wrong).toBe(0);
  }, 300_000);
});
