import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../common/db.js';
import { redisKeys } from '../../common/keys.js';
import { createLogger } from '../../common/logger.js';
import { announcePool, poolQueueName, readPools } from '../../common/pools.js';
import { createSubmissionQueue } from '../../common/queue.js';
import { createRedis } from '../../common/redis.js';
import { SubmissionStore } from '../../common/submissions-store.js';
import { Executor, publishedLanguages } from '../../executor/worker/executor.js';
import { TEST_REDIS_URL } from '../../test/support/isolation.js';
import { fakeLanguage, fakeRun, startHarness, type Harness } from '../../test/support/webapp-harness.js';
import type { DesiredFile } from '../desired/schema.js';
import { Autoscaler } from './autoscaler.js';
import { createAutoscaleMetrics } from './metrics.js';
import { PoolParking } from './parking.js';
import { PrometheusSource } from './prometheus-source.js';
import { QueueSource } from './queue-source.js';
import { Retirer } from './retire.js';
import { MemoryScaleTarget as FakeService } from '../../test/support/scale-target.js';
import { until } from '../../test/support/until.js';

/**
 * A pool scaled to zero wakes for its first submission: the real webapp accepts and queues it (the pool
 * parked by the controller's autoscaler), the autoscaler's queue check reads it from the real Redis and
 * scales the service from 0 to 1, and an executor of that pool takes the job. Only Swarm is replaced, by
 * a service that does what it is told (the ScaleTarget seam); the executor it "starts" runs in this
 * process with a judge that answers at once.
 */
const logger = createLogger('test', 'silent');
const python = fakeLanguage('python', false);
let h: Harness;

const desired: DesiredFile = {
  version: 1,
  stack: 'st',
  services: {
    interpreters: {
      image: 'x',
      languages: ['python'],
      autoscale: {
        min: 0,
        max: 2,
        scale_down: { stabilization: 0, period: '1ms' },
        checks: { backlog: { queue: { per_replica: 1 } } },
      },
    },
  },
};

/** An executor of the pool, as the task Swarm would start. */
async function startPoolExecutor(): Promise<{ close(): Promise<void> }> {
  const db = createPool(h.db.url, logger, 2);
  const options = { url: TEST_REDIS_URL, password: undefined };
  const redis = createRedis({ ...options, role: 'request', name: 'x' }, logger);
  const workerRedis = createRedis({ ...options, role: 'blocking', name: 'xw' }, logger);
  const subscriber = createRedis({ ...options, role: 'blocking', name: 'xs' }, logger);
  const executor = new Executor({
    id: 'woken-executor',
    prefix: h.prefix,
    pool: 'interpreters',
    slots: 1,
    standbySlots: 0,
    lockDurationMs: 5_000,
    store: new SubmissionStore(db),
    redis,
    workerRedis,
    subscriber,
    languages: { list: () => [python], resolve: (id) => (id === 'python' ? python : undefined) },
    judge: () =>
      Promise.resolve({
        verdict: 'accepted',
        compile: null,
        tests: [{ verdict: 'accepted', result: fakeRun('woke\n') }],
      }),
    registry: new Registry(),
    logger,
  });
  await executor.start();
  return {
    async close() {
      await executor.close(1_000);
      redis.disconnect();
      workerRedis.disconnect();
      subscriber.disconnect();
      await db.end();
    },
  };
}

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

describe('scaling a pool from zero', () => {
  it('parks the pool at zero, queues its first submission, wakes it to one, and its executor runs the job', async () => {
    const { redis } = h.ctx;
    const keys = redisKeys(h.prefix);
    // Only the pool under test serves python: the harness's stand-in default pool leaves.
    await redis.del(keys.pool('default'));
    // The pool's one executor has announced itself, as its heartbeat does.
    await announcePool(redis, keys, 'interpreters', publishedLanguages([python]), 60_000);

    const source = new QueueSource(redis, h.prefix);
    const metrics = createAutoscaleMetrics(new Registry());
    const service = new FakeService();
    const autoscaler = new Autoscaler({
      logger,
      metrics,
      target: () => service,
      queue: source,
      retirer: new Retirer({ redis, prefix: h.prefix, logger, metrics, executors: () => source.executors() }),
      parking: new PoolParking(redis, h.prefix),
      prometheus: new PrometheusSource(),
      prometheusUrl: undefined,
      scheduled: false,
    });
    let executor: { close(): Promise<void> } | undefined;
    try {
      await autoscaler.setDesired(desired);
      // Idle, with a scale-down window of zero: the pool goes to zero.
      expect(await autoscaler.evaluate('interpreters')).toMatchObject({
        current: 1,
        desired: 0,
        apply: true,
      });
      expect(service.replicas).toBe(0);

      // Its executor is gone, and so is its announcement; the parked one keeps it at zero and routable.
      await redis.del(keys.pool('interpreters'));
      expect(await autoscaler.evaluate('interpreters')).toMatchObject({
        current: 0,
        desired: 0,
        direction: 'none',
      });
      // The webapp reuses its read of the pools for up to 5 s, and its queue monitor may have made that
      // read while the executor's announcement was still there: the listing turns cold within that.
      const listing = async (): Promise<unknown> =>
        (await h.app.inject({ method: 'GET', url: '/api/v1/languages' })).json();
      await until(
        async () => JSON.stringify(await listing()).includes('"cold":true'),
        10_000,
        'the language listing to show the parked pool as cold',
      );
      expect(await listing()).toEqual([expect.objectContaining({ id: 'python', cold: true })]);

      const created = await h.app.inject({
        method: 'POST',
        url: '/api/v1/submissions',
        payload: { language: 'python', source: 'print("woke")' },
      });
      expect(created.statusCode).toBe(201);
      const { id } = created.json<{ id: string }>();
      const queue = createSubmissionQueue(redis, h.prefix, poolQueueName('interpreters'));
      try {
        expect(await queue.getJob(id)).toBeDefined();
      } finally {
        await queue.close();
      }

      const woken = await autoscaler.evaluate('interpreters');
      expect(woken).toMatchObject({ current: 0, desired: 1, direction: 'up', apply: true });
      expect(woken?.reason).toMatch(/1 jobs wake the service/);
      expect(service.writes).toEqual([0, 1]);

      // Swarm starts the task; its executor takes the job waiting on the pool's queue.
      executor = await startPoolExecutor();
      const finished = await h.app.inject({ method: 'GET', url: `/api/v1/submissions/${id}?wait=true` });
      expect(finished.json()).toMatchObject({ id, state: 'finished', verdict: 'accepted' });
      // Its executor announces the pool again: the webapp routes to it as running, no longer cold.
      expect((await readPools(redis, keys)).map((p) => [p.pool, p.state])).toEqual([
        ['interpreters', 'running'],
      ]);
    } finally {
      await executor?.close();
      await autoscaler.close();
      await source.close();
    }
  });

  it('unparks the pool when its min rises above zero, and when it leaves the desired state', async () => {
    const { redis } = h.ctx;
    const keys = redisKeys(h.prefix);
    const autoscaler = new Autoscaler({
      logger,
      metrics: createAutoscaleMetrics(new Registry()),
      target: () => new FakeService(),
      queue: undefined,
      retirer: undefined,
      parking: new PoolParking(redis, h.prefix),
      prometheus: new PrometheusSource(),
      prometheusUrl: undefined,
      scheduled: false,
    });
    const interpreters = desired.services['interpreters'];
    const policy = interpreters?.autoscale;
    if (!interpreters || !policy) throw new Error('the desired state under test lost its pool');
    const parked = async () => (await redis.exists(keys.parkedPool('interpreters'))) === 1;
    try {
      await announcePool(redis, keys, 'interpreters', publishedLanguages([python]), 60_000);
      await autoscaler.setDesired(desired);
      await autoscaler.evaluate('interpreters');
      expect(await parked()).toBe(true);

      await autoscaler.setDesired({
        ...desired,
        services: { interpreters: { ...interpreters, autoscale: { ...policy, min: 1 } } },
      });
      expect(await parked()).toBe(false);

      await autoscaler.setDesired(desired);
      await autoscaler.evaluate('interpreters');
      expect(await parked()).toBe(true);
      await autoscaler.setDesired({ ...desired, services: {} });
      expect(await parked()).toBe(false);
    } finally {
      await autoscaler.close();
    }
  });
});
