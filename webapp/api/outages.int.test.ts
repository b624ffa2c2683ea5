import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWebappConfig } from '../../common/config.js';
import { createPool, migrate } from '../../common/db.js';
import { redisKeys } from '../../common/keys.js';
import { createLogger } from '../../common/logger.js';
import { createRedis } from '../../common/redis.js';
import { SubmissionStore } from '../../common/submissions-store.js';
import type { JudgeResult } from '../../executor/judge/judge.js';
import type { JudgeRun } from '../../executor/worker/job-runner.js';
import { Executor, publishedLanguages } from '../../executor/worker/executor.js';
import { startDisposablePostgres, startDisposableRedis } from '../../test/support/disposable-servers.js';
import type { DisposableServer } from '../../test/support/disposable-servers.js';
import { until } from '../../test/support/until.js';
import { fakeLanguage, fakeRun } from '../../test/support/webapp-harness.js';
import { buildApp } from '../app.js';
import { createWebappContext } from '../context.js';
import type { WebappContext } from '../context.js';
import { DEFAULT_POOL, announcePool } from '../../common/pools.js';

/**
 * The webapp against a Redis and a Postgres of the test's own, stopped and killed while it serves:
 * every outage is a 503 with a class and Retry-After, a short one is waited out, and a Redis outage
 * does not stop intake.
 */

const logger = createLogger('test', (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent');
const languages = [fakeLanguage('python', false)];
const body = { language: 'python', source: 'print(1)' };

let postgres: DisposableServer;
let redis: DisposableServer;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startDisposablePostgres(), startDisposableRedis()]);
  const pool = createPool(postgres.url, logger, 1);
  await migrate(pool, logger);
  await pool.end();
});
afterAll(async () => {
  await Promise.all([postgres?.close(), redis?.close()]);
});

interface Webapp {
  readonly app: FastifyInstance;
  readonly ctx: WebappContext;
  close(): Promise<void>;
}

async function startWebapp(budget: string): Promise<Webapp> {
  const prefix = `outage-${Math.random().toString(36).slice(2, 8)}`;
  const config = parseWebappConfig({
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    REMCODE_PREFIX: prefix,
    REMCODE_OUTAGE_BUDGET: budget,
    LOG_LEVEL: 'silent',
  });
  const publisher = createRedis({ url: redis.url, password: undefined, role: 'request', name: 't' }, logger);
  await announcePool(publisher, redisKeys(prefix), DEFAULT_POOL, publishedLanguages(languages), undefined);
  publisher.disconnect();
  const ctx = await createWebappContext(config, logger, new Registry());
  const app = await buildApp(ctx);
  // The language list is read once while Redis is up, as a serving webapp has.
  await ctx.languages.list();
  return {
    app,
    ctx,
    async close() {
      await app.close();
      await ctx.close();
    },
  };
}

const accepted: JudgeResult = {
  verdict: 'accepted',
  compile: null,
  tests: [{ verdict: 'accepted', result: fakeRun('1') }],
};

/** An executor in this process on the test's Redis and Postgres, with the given judge. */
async function startExecutor(
  web: Webapp,
  judge: JudgeRun,
  storeBudgetMs = 10_000,
): Promise<{ readonly executor: Executor; close(): Promise<void> }> {
  const pool = createPool(postgres.url, logger, 4);
  const redisOptions = { url: redis.url, password: undefined };
  const requests = createRedis({ ...redisOptions, role: 'request', name: 'x' }, logger);
  const worker = createRedis({ ...redisOptions, role: 'blocking', name: 'xw' }, logger);
  const subscriber = createRedis({ ...redisOptions, role: 'blocking', name: 'xs' }, logger);
  const executor = new Executor({
    id: 'outage-executor',
    prefix: web.ctx.config.prefix,
    slots: 2,
    standbySlots: 0,
    lockDurationMs: 5_000,
    store: new SubmissionStore(pool, { outageBudgetMs: storeBudgetMs }),
    redis: requests,
    workerRedis: worker,
    subscriber,
    languages: { list: () => languages, resolve: (id) => languages.find((l) => l.id === id) },
    judge,
    registry: new Registry(),
    logger,
  });
  await executor.start();
  return {
    executor,
    async close() {
      await executor.close(1_000);
      requests.disconnect();
      worker.disconnect();
      subscriber.disconnect();
      await pool.end();
    },
  };
}

const post = (app: FastifyInstance) =>
  app.inject({ method: 'POST', url: '/api/v1/submissions', payload: body });

describe('dependency outages in the webapp', () => {
  it('a Postgres down longer than the budget answers 503 postgres_refused with Retry-After', async () => {
    const web = await startWebapp('300ms');
    try {
      await postgres.stop();
      const created = await post(web.app);
      expect(created.statusCode).toBe(503);
      expect(created.headers['retry-after']).toBe('2');
      expect(created.json()).toMatchObject({ status: 503, code: 'postgres_refused' });
      const read = await web.app.inject({
        method: 'GET',
        url: '/api/v1/submissions/00000000-0000-4000-8000-000000000000',
      });
      expect(read.statusCode).toBe(503);
      expect(read.json()).toMatchObject({ code: 'postgres_refused' });
      // First seen: reported, still in rotation; past the budget: out of it.
      const first = await web.app.inject({ method: 'GET', url: '/readyz' });
      expect(first.json()).toMatchObject({ checks: { postgres: 'refused', redis: 'ok' } });
      await sleep(400);
      const later = await web.app.inject({ method: 'GET', url: '/readyz' });
      expect(later.statusCode).toBe(503);
      expect(later.json()).toMatchObject({ status: 'unavailable', checks: { postgres: 'refused' } });
    } finally {
      await postgres.start();
      await web.close();
    }
  });

  it('a Postgres restart shorter than the budget costs the client a wait, not an error', async () => {
    const web = await startWebapp('10s');
    try {
      await postgres.kill();
      const created = post(web.app);
      await sleep(500);
      await postgres.start();
      const answer = await created;
      expect(answer.statusCode).toBe(201);
      const { id } = answer.json<{ id: string }>();
      expect((await web.ctx.store.get(id))?.state).toBe('queued');
      const ready = await web.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.json()).toMatchObject({ status: 'ok' });
    } finally {
      await web.close();
    }
  });

  it('a statement bug stays a 500, not an outage', async () => {
    const web = await startWebapp('300ms');
    try {
      // A real schema mismatch (as after a bad migration): a bug, which no waiting fixes.
      await web.ctx.pool.query('ALTER TABLE submissions RENAME COLUMN limits TO limits_renamed');
      const created = await post(web.app);
      expect(created.statusCode).toBe(500);
      expect(created.json()).toMatchObject({ code: 'internal_error' });
    } finally {
      await web.ctx.pool.query('ALTER TABLE submissions RENAME COLUMN limits_renamed TO limits');
      await web.close();
    }
  });
});

describe('a Redis outage does not stop intake', () => {
  it('submissions are accepted while Redis is down and each runs exactly once when it is back', async () => {
    const web = await startWebapp('10s');
    let judged = 0;
    const executor = await startExecutor(web, () => {
      judged++;
      return Promise.resolve(accepted);
    });
    try {
      await redis.kill();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const answer = await post(web.app);
        expect(answer.statusCode).toBe(201);
        ids.push(answer.json<{ id: string }>().id);
      }
      const ready = await web.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ status: 'degraded', checks: { deferred_submissions: '5' } });
      // A delete does not hang on the queue's connection, which waits for Redis to return.
      const extra = (await post(web.app)).json<{ id: string }>().id;
      const deleted = await web.app.inject({ method: 'DELETE', url: `/api/v1/submissions/${extra}` });
      expect(deleted.statusCode).toBe(204);
      await redis.start();
      // Well before the sweeper's first pass (30 s): the jobs are added as the connection returns.
      await until(
        async () => {
          const states = await Promise.all(ids.map((id) => web.ctx.store.get(id)));
          return states.every((s) => s?.state === 'finished');
        },
        20_000,
        'every submission finished',
      );
      for (const id of ids) expect((await web.ctx.store.get(id))?.attempts).toBe(1);
      expect(judged).toBe(5);
      expect(web.ctx.enqueuer.deferred).toBe(0);
      expect(executor.executor.state).toBe('running');
    } finally {
      await executor.close();
      await web.close();
    }
  });
});

describe('the executor rides through too', () => {
  it('keeps a result finished while Postgres is away and stores it when Postgres is back, running it once', async () => {
    const web = await startWebapp('10s');
    let judged = 0;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    // No waiting in the store itself: the executor's own keeping is what is tested.
    const executor = await startExecutor(
      web,
      async () => {
        judged++;
        await released;
        return accepted;
      },
      0,
    );
    try {
      const answer = await post(web.app);
      expect(answer.statusCode).toBe(201);
      const { id } = answer.json<{ id: string }>();
      await until(() => judged === 1, 10_000, 'the run to start');
      await postgres.kill();
      release();
      await sleep(1_500);
      await postgres.start();
      await until(
        async () => (await web.ctx.store.get(id))?.state === 'finished',
        20_000,
        'the result stored',
      );
      const stored = await web.ctx.store.get(id);
      expect(stored).toMatchObject({ verdict: 'accepted', attempts: 1 });
      expect(judged).toBe(1);
      expect(executor.executor.state).toBe('running');
    } finally {
      await executor.close();
      await web.close();
    }
  });
});
