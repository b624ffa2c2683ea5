import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_LIMITS } from '../../common/limits.js';
import { readEvents } from '../../common/events.js';
import { enqueueSubmission } from '../../common/queue.js';
import { INLINE_SPEC_BYTES, encodeInput } from '../../common/submission.js';
import type { NewSubmission } from '../../common/submission.js';
import type { JudgeRun } from '../../executor/worker/job-runner.js';
import { fakeLanguage, fakeRun, startHarness } from '../../test/support/webapp-harness.js';
import type { Harness } from '../../test/support/webapp-harness.js';
import { until } from '../../test/support/until.js';
import { createApiKey } from '../access/api-keys.js';
import { Sweeper } from '../submissions/sweeper.js';
import { Worker } from 'bullmq';
import { SUBMISSION_QUEUE } from '../../common/keys.js';
import { DEFAULT_POOL } from '../../common/pools.js';

const echoJudge: JudgeRun = (request) =>
  Promise.resolve({
    verdict: 'accepted',
    compile: null,
    tests: request.tests.map((t) => ({
      verdict: 'accepted' as const,
      result: fakeRun(Buffer.from(t.stdin)),
    })),
  });

/** A Python submission whose program the echo judge answers with `stdin`. */
function echoSubmission(id: string, stdin: string): NewSubmission {
  return {
    id,
    language: 'python',
    languageVersion: '1.2.3',
    encoding: 'utf8',
    input: {
      files: [{ name: 'main.py', content: Buffer.from('x') }],
      stdin: Buffer.from(stdin),
      args: [],
      compilerArgs: [],
      tests: null,
    },
    limits: DEFAULT_LIMITS,
    apiKeyId: null,
  };
}

let h: Harness | undefined;

/** One pass of the sweeper with a 7-day retention and a 1-hour limit on rows left running. */
async function sweepOnce(harness: Harness): Promise<void> {
  const sweeper = new Sweeper(
    harness.ctx.store,
    harness.ctx.queues,
    harness.ctx.logger,
    7 * 86_400_000,
    3_600_000,
  );
  await sweeper.sweep();
  await sweeper.close();
}

async function waitUntilFinished(harness: Harness, id: string): Promise<void> {
  let state = '';
  for (let i = 0; i < 100 && state !== 'finished'; i++) {
    await sleep(30);
    state = (await harness.ctx.store.get(id))?.state ?? '';
  }
}

afterEach(async () => {
  await h?.close();
  h = undefined;
});

const body = { language: 'python', source: 'x' };

describe('languages, status, health, metrics and OpenAPI', () => {
  it('lists the languages the executors published, with versions and availability', async () => {
    h = await startHarness({
      judge: echoJudge,
      languages: [fakeLanguage('python', false), fakeLanguage('go', true, false)],
    });
    const list = (await h.app.inject({ url: '/api/v1/languages' })).json<
      { id: string; version: string | null; available: boolean }[]
    >();
    expect(list.map((l) => [l.id, l.version, l.available])).toEqual([
      ['python', '1.2.3', true],
      ['go', null, false],
    ]);
    const refused = await h.app.inject({
      method: 'POST',
      url: '/api/v1/submissions',
      payload: { language: 'go', source: 'x' },
    });
    expect(refused.json()).toMatchObject({ status: 422, code: 'language_unavailable' });
  });

  it('reports executors online and queue depth on /status, and health on /healthz and /readyz', async () => {
    h = await startHarness({ judge: echoJudge });
    await h.ctx.monitor.refresh();
    expect((await h.app.inject({ url: '/api/v1/status' })).json()).toMatchObject({
      executors_online: 1,
      executor_slots: 2,
      queue_depth: 0,
    });
    expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await h.app.inject({ url: '/readyz' })).json()).toEqual({
      status: 'ok',
      checks: { postgres: 'ok', redis: 'ok' },
    });
  });

  it('exposes queue depth, oldest job age and latency on /metrics', async () => {
    h = await startHarness();
    const before = Date.now();
    for (let i = 0; i < 3; i++)
      await h.app.inject({ method: 'POST', url: '/api/v1/submissions', payload: body });
    await sleep(50);
    await h.ctx.monitor.refresh();
    const text = (await h.app.inject({ url: '/metrics' })).body;
    const elapsed = (Date.now() - before) / 1000;
    expect(text).toMatch(/^remcode_queue_depth(\{[^}]*\})? 3$/m);
    const age = Number(/^remcode_queue_oldest_job_age_seconds(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1]);
    expect(age).toBeGreaterThan(0);
    expect(age).toBeLessThanOrEqual(elapsed);
    expect(text).toContain('remcode_http_request_duration_seconds_bucket');
    expect(text).toMatch(/^remcode_submissions_created_total(\{[^}]*\})? 3$/m);
  });

  it('publishes an OpenAPI document with every API route, both compatibility dialects included', async () => {
    h = await startHarness();
    const doc = (await h.app.inject({ url: '/api/v1/openapi.json' })).json<{
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>>;
    }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/v1/languages',
      '/api/v1/status',
      '/api/v1/submissions',
      '/api/v1/submissions/{id}',
      '/api/v1/submissions/{id}/events',
      '/api/v1/submissions/{id}/source',
      '/api/v2/execute',
      '/api/v2/runtimes',
      '/healthz',
      '/judge0/about',
      '/judge0/config_info',
      '/judge0/languages',
      '/judge0/languages/{id}',
      '/judge0/statuses',
      '/judge0/submissions',
      '/judge0/submissions/batch',
      '/judge0/submissions/{token}',
      '/judge0/workers',
      '/readyz',
    ]);
    expect(Object.keys(doc.paths['/api/v1/submissions/{id}'] ?? {}).sort()).toEqual(['delete', 'get']);
    expect(doc.paths['/api/v1/submissions']?.post?.requestBody).toBeDefined();
    expect(Object.keys(doc.paths['/api/v1/submissions']?.post?.responses ?? {}).sort()).toEqual([
      '200',
      '201',
      '202',
      '4XX',
      '5XX',
    ]);
  });
});

describe('admission control', () => {
  it('answers 503 queue_full with Retry-After once the queue holds the configured maximum', async () => {
    h = await startHarness({ env: { REMCODE_QUEUE_MAX: '2' } });
    for (let i = 0; i < 2; i++)
      expect(
        (await h.app.inject({ method: 'POST', url: '/api/v1/submissions', payload: body })).statusCode,
      ).toBe(201);
    await h.ctx.monitor.refresh();
    const full = await h.app.inject({ method: 'POST', url: '/api/v1/submissions', payload: body });
    expect(full.statusCode).toBe(503);
    expect(full.headers['retry-after']).toBe('5');
    expect(full.json()).toMatchObject({ code: 'queue_full' });
  });

  it('requires a valid API key in required mode and rate-limits each key with 429 and Retry-After', async () => {
    h = await startHarness({ judge: echoJudge, env: { REMCODE_AUTH: 'required' } });
    const anonymous = await h.app.inject({ method: 'POST', url: '/api/v1/submissions', payload: body });
    expect(anonymous.json()).toMatchObject({ status: 401, code: 'api_key_required' });
    const wrong = await h.app.inject({
      method: 'POST',
      url: '/api/v1/submissions',
      payload: body,
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.json()).toMatchObject({ status: 401, code: 'invalid_api_key' });
    const { key } = await createApiKey(h.ctx.pool, 'test', 3);
    const stored = await h.ctx.pool.query<{ key_hash: Buffer }>('SELECT key_hash FROM api_keys');
    expect(stored.rows[0]?.key_hash.toString()).not.toContain(key);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await h.app.inject({
        method: 'POST',
        url: '/api/v1/submissions',
        payload: body,
        headers: { 'x-api-key': key },
      });
      statuses.push(response.statusCode);
      if (response.statusCode === 429) {
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
        expect(response.json()).toMatchObject({ code: 'rate_limited' });
      }
    }
    // The fourth falls in the same minute window unless the minute turned over between requests.
    expect(statuses.slice(0, 3)).toEqual([201, 201, 201]);
    expect([429, 201]).toContain(statuses[3]);
  });

  it('answers 503 no_executors with Retry-After while no executor has published its languages', async () => {
    h = await startHarness();
    await h.ctx.redis.del(h.ctx.keys.pool(DEFAULT_POOL));
    const response = await h.app.inject({ method: 'POST', url: '/api/v1/submissions', payload: body });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).toMatchObject({ code: 'no_executors' });
  });

  it('answers /readyz with 503 naming Postgres while it refuses connections past the outage budget, and 200 once it is back', async () => {
    h = await startHarness({ env: { REMCODE_OUTAGE_BUDGET: '0ms' } });
    await h.db.setReachable(false);
    try {
      const down = await h.app.inject({ url: '/readyz' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toEqual({
        status: 'unavailable',
        checks: { postgres: 'refused', redis: 'ok' },
      });
      expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await h.db.setReachable(true);
    }
    expect((await h.app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });

  it('accepts anonymous requests in open mode', async () => {
    h = await startHarness();
    expect(
      (await h.app.inject({ method: 'POST', url: '/api/v1/submissions', payload: body })).statusCode,
    ).toBe(201);
  });
});

describe('durability', () => {
  it('enqueues again a row that was stored but never reached the queue, and it finishes', async () => {
    h = await startHarness({ judge: echoJudge });
    const id = randomUUID();
    await h.ctx.store.insert(echoSubmission(id, 'kept'));
    await h.ctx.pool.query("UPDATE submissions SET created_at = now() - interval '1 minute' WHERE id = $1", [
      id,
    ]);
    await sweepOnce(h);
    await waitUntilFinished(h, id);
    expect((await h.app.inject({ url: `/api/v1/submissions/${id}` })).json()).toMatchObject({
      state: 'finished',
      stdout: 'kept',
    });
  });

  it('enqueues again a row whose job failed without storing a result', async () => {
    h = await startHarness();
    const id = randomUUID();
    await h.ctx.store.insert(echoSubmission(id, 'failed once'));
    await h.ctx.pool.query("UPDATE submissions SET created_at = now() - interval '1 minute' WHERE id = $1", [
      id,
    ]);
    // A worker whose every attempt fails, as while Postgres was away for longer than the retries.
    await h.ctx.queue.add('run', { id }, { jobId: id, attempts: 1 });
    const connection = h.ctx.redis.duplicate({ maxRetriesPerRequest: null });
    const failing = new Worker(SUBMISSION_QUEUE, () => Promise.reject(new Error('postgres away')), {
      connection,
      prefix: h.prefix,
    });
    try {
      await until(async () => (await h!.ctx.queue.getJob(id))?.isFailed() ?? false, 10_000, 'the job failed');
    } finally {
      await failing.close();
      connection.disconnect();
    }
    await sweepOnce(h);
    expect(await (await h.ctx.queue.getJob(id))?.getState()).toBe('waiting');
  });

  it('sweeps safely from several webapp replicas at once: each orphan is enqueued and run once', async () => {
    h = await startHarness({ judge: echoJudge });
    const ids = Array.from({ length: 8 }, () => randomUUID());
    for (const id of ids) await h.ctx.store.insert(echoSubmission(id, `orphan ${id}`));
    await h.ctx.pool.query(
      "UPDATE submissions SET created_at = now() - interval '1 minute' WHERE id = ANY($1)",
      [ids],
    );
    // Three replicas' sweepers, each pass racing the others, three times over.
    const replicas = Array.from(
      { length: 3 },
      () => new Sweeper(h!.ctx.store, h!.ctx.queues, h!.ctx.logger, 7 * 86_400_000, 3_600_000),
    );
    for (let round = 0; round < 3; round++) await Promise.all(replicas.map((sweeper) => sweeper.sweep()));
    await Promise.all(replicas.map((sweeper) => sweeper.close()));
    for (const id of ids) await waitUntilFinished(h, id);
    const { rows } = await h.ctx.pool.query<{ attempts: number; state: string }>(
      'SELECT attempts, state FROM submissions WHERE id = ANY($1)',
      [ids],
    );
    expect(rows).toHaveLength(ids.length);
    expect(rows.every((row) => row.state === 'finished' && row.attempts === 1)).toBe(true);
  });

  it('enqueues again a row left running with no job behind it, and it finishes', async () => {
    h = await startHarness({ judge: echoJudge });
    const id = randomUUID();
    await h.ctx.store.insert(echoSubmission(id, 'stuck'));
    await h.ctx.pool.query(
      "UPDATE submissions SET state = 'running', started_at = now() - interval '1 hour' WHERE id = $1",
      [id],
    );
    await sweepOnce(h);
    await waitUntilFinished(h, id);
    expect((await h.app.inject({ url: `/api/v1/submissions/${id}` })).json()).toMatchObject({
      state: 'finished',
      stdout: 'stuck',
    });
  });

  it('stores a result once even when a job is delivered twice', async () => {
    h = await startHarness({ judge: echoJudge });
    const created = (
      await h.app.inject({
        method: 'POST',
        url: '/api/v1/submissions?wait=true',
        payload: { ...body, stdin: 'once' },
      })
    ).json<{ id: string; finished_at: string }>();
    await enqueueSubmission(h.ctx.queue, created.id);
    const queue = h.ctx.queue;
    await queue.add('run', { id: created.id }, { jobId: `${created.id}-again` });
    // Both deliveries handled (completed jobs are removed), so the checks below follow them on any machine.
    const pending = async (): Promise<number> =>
      Object.values(await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized')).reduce(
        (sum, n) => sum + n,
        0,
      );
    await until(async () => (await pending()) === 0, 5_000, 'both deliveries to be handled');
    const after = (await h.app.inject({ url: `/api/v1/submissions/${created.id}` })).json<{
      finished_at: string;
      stdout: string;
    }>();
    expect(after.finished_at).toBe(created.finished_at);
    expect(after.stdout).toBe('once');
  });

  it('answers wait=true from the executor notice with exactly what a later GET reads', async () => {
    h = await startHarness({ judge: echoJudge });
    const reads = vi.spyOn(h.ctx.store, 'get');
    const waited = await h.app.inject({
      method: 'POST',
      url: '/api/v1/submissions?wait=true',
      payload: { ...body, stdin: 'same' },
    });
    expect(waited.statusCode).toBe(200);
    expect(reads).not.toHaveBeenCalled();
    const view = waited.json<{ id: string; stdout: string }>();
    expect(view.stdout).toBe('same');
    expect((await h.app.inject({ url: `/api/v1/submissions/${view.id}` })).json()).toEqual(view);
  });

  it('runs a submission too large to travel inside its job, reading it from Postgres', async () => {
    h = await startHarness({ judge: echoJudge });
    const stdin = 'y'.repeat(INLINE_SPEC_BYTES + 1);
    const reads = vi.spyOn(h.ctx.store, 'get');
    const waited = await h.app.inject({
      method: 'POST',
      url: '/api/v1/submissions?wait=true',
      payload: { ...body, stdin },
    });
    expect(waited.statusCode).toBe(200);
    // Its result is too large for the notice too, so the answer is read from the row.
    expect(reads).toHaveBeenCalledTimes(1);
    expect(waited.json<{ stdout: string }>().stdout).toBe(stdin);
  });

  it('runs a job that arrives before its row, claiming the row once it is committed', async () => {
    h = await startHarness({ judge: echoJudge });
    const id = randomUUID();
    const submission = echoSubmission(id, 'early');
    await enqueueSubmission(h.ctx.queue, id, {
      language: submission.language,
      input: encodeInput(submission.input),
      limits: submission.limits,
    });
    // Inserted only once the executor holds the job, so the claim really comes before the row.
    const queue = h.ctx.queue;
    const held = async (): Promise<boolean> => ((await queue.getJobCounts('active')).active ?? 0) > 0;
    await until(held, 5_000, 'the executor to hold the job');
    await h.ctx.store.insert(submission);
    await waitUntilFinished(h, id);
    expect((await h.app.inject({ url: `/api/v1/submissions/${id}` })).json()).toMatchObject({
      state: 'finished',
      stdout: 'early',
    });
  });

  it('stores and announces nothing for a job that carries a submission whose row is gone', async () => {
    let judged = 0;
    h = await startHarness({
      judge: (request) => {
        judged++;
        return echoJudge(request);
      },
    });
    const id = randomUUID();
    await enqueueSubmission(h.ctx.queue, id, {
      language: 'python',
      input: {
        files: [{ name: 'main.py', content: 'eA==' }],
        stdin: '',
        args: [],
        compilerArgs: [],
        tests: null,
      },
      limits: DEFAULT_LIMITS,
    });
    const queue = h.ctx.queue;
    const busy = async (): Promise<boolean> => ((await queue.getJobCounts('active')).active ?? 0) > 0;
    await until(async () => judged > 0 && !(await busy()), 5_000, 'the job to be judged');
    expect(judged).toBe(1);
    expect(await h.ctx.store.get(id)).toBeUndefined();
    expect(await readEvents(h.ctx.redis, h.ctx.keys, id, '-')).toEqual([]);
  });

  it('deletes finished submissions older than the retention and keeps the rest', async () => {
    h = await startHarness({ judge: echoJudge });
    const old = (
      await h.app.inject({ method: 'POST', url: '/api/v1/submissions?wait=true', payload: body })
    ).json<{ id: string }>();
    const fresh = (
      await h.app.inject({ method: 'POST', url: '/api/v1/submissions?wait=true', payload: body })
    ).json<{ id: string }>();
    await h.ctx.pool.query("UPDATE submissions SET finished_at = now() - interval '8 days' WHERE id = $1", [
      old.id,
    ]);
    await sweepOnce(h);
    expect((await h.app.inject({ url: `/api/v1/submissions/${old.id}` })).statusCode).toBe(404);
    expect((await h.app.inject({ url: `/api/v1/submissions/${fresh.id}` })).statusCode).toBe(200);
  });
});
