import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../../common/keys.js';
import { createLogger } from '../../common/logger.js';
import { createSubmissionQueue, jobOptions, type SubmissionQueue } from '../../common/queue.js';
import { Heartbeat } from '../../executor/worker/heartbeat.js';
import { RetireWatch } from '../../executor/worker/retire-watch.js';
import { TEST_REDIS_URL, deleteRedisPrefix, testPrefix } from '../../test/support/isolation.js';
import { until } from '../../test/support/until.js';
import type { DesiredFile } from '../desired/schema.js';
import { Autoscaler } from './autoscaler.js';
import { createAutoscaleMetrics, type AutoscaleMetrics } from './metrics.js';
import { PoolParking } from './parking.js';
import { PrometheusSource } from './prometheus-source.js';
import { QueueSource } from './queue-source.js';
import { Retirer } from './retire.js';
import { MemoryScaleTarget as FakeService } from '../../test/support/scale-target.js';

/**
 * The autoscaler's thin part against real Redis, real BullMQ jobs and real executor heartbeats and
 * retire watches; only Swarm is replaced, by a service that does what it is told (the ScaleTarget seam).
 */
const prefix = testPrefix();
const keys = redisKeys(prefix);
const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 2 });
const logger = createLogger('test', 'silent');
let queue: SubmissionQueue;
let source: QueueSource;

/** An executor reduced to what the autoscaler sees: its heartbeat, and its answer to a retire request. */
class FakeExecutor {
  busy = 0;
  state = 'running';
  readonly heartbeat: Heartbeat;
  readonly watch: RetireWatch;
  retired = false;
  constructor(readonly id: string) {
    this.heartbeat = new Heartbeat(
      redis,
      keys,
      { id, slots: 1, busy: () => this.busy, state: () => this.state, pool: 'default', languages: [] },
      logger,
    );
    this.watch = new RetireWatch(redis, keys, id, () => void this.retire(), logger, 50);
  }
  async start(): Promise<void> {
    await this.heartbeat.start();
    this.watch.start();
  }
  /** Like the real executor: stop taking jobs, wait for the run it holds, then leave. */
  async retire(): Promise<void> {
    this.state = 'draining';
    await this.heartbeat.beat();
    await until(() => this.busy === 0, 30_000, `${this.id} to finish its run`);
    await this.heartbeat.close();
    this.retired = true;
  }
  async stop(): Promise<void> {
    // A retirement still waiting for the run ends with it.
    this.busy = 0;
    this.watch.close();
    await this.heartbeat.close();
  }
}

function desired(policy: Record<string, unknown> = {}): DesiredFile {
  return {
    version: 1,
    stack: 'st',
    services: {
      executor: {
        image: 'x',
        autoscale: {
          min: 1,
          max: 5,
          scale_down: { stabilization: 0, period: '1ms' },
          checks: { backlog: { queue: { per_replica: 1 } } },
          ...policy,
        },
      },
    },
  };
}

function autoscaler(service: FakeService, metrics: AutoscaleMetrics): Autoscaler {
  return new Autoscaler({
    logger,
    metrics,
    target: () => service,
    queue: source,
    retirer: new Retirer({ redis, prefix, logger, metrics, executors: () => source.executors() }),
    parking: new PoolParking(redis, prefix),
    prometheus: new PrometheusSource(),
    prometheusUrl: undefined,
    // Each test calls evaluate() itself: a scheduled evaluation could act on half-added jobs first.
    scheduled: false,
  });
}

beforeAll(async () => {
  queue = createSubmissionQueue(redis, prefix);
  source = new QueueSource(redis, prefix);
  await redis.set(keys.pool('default'), '{}');
});

afterAll(async () => {
  await source.close();
  await queue.close();
  redis.disconnect();
  expect(await deleteRedisPrefix(prefix)).toBeGreaterThan(0);
});

describe('autoscaler', () => {
  it('scales out on queued jobs, then retires the idle executors before lowering, across a controller restart', async () => {
    const service = new FakeService();
    const executors = ['exec-a', 'exec-b', 'exec-c'].map((id) => new FakeExecutor(id));
    try {
      for (const executor of executors) await executor.start();
      const first = autoscaler(service, createAutoscaleMetrics(new Registry()));
      await first.setDesired(desired());
      for (const id of ['j1', 'j2', 'j3']) await queue.add('run', { id }, jobOptions(id));

      const up = await first.evaluate('executor');
      expect(up).toMatchObject({ current: 1, desired: 3, direction: 'up', apply: true });
      expect(service.replicas).toBe(3);

      // The queue empties; one executor still runs a program.
      await queue.drain();
      const [a, b, c] = executors as [FakeExecutor, FakeExecutor, FakeExecutor];
      b.busy = 1;
      await b.heartbeat.beat();
      const down = await first.evaluate('executor');
      expect(down).toMatchObject({ current: 3, desired: 1, direction: 'down', apply: false });
      expect(down?.reason).toMatch(/retiring 2 executor/);
      // The busy one is not asked; nothing has changed in Swarm yet.
      expect(Object.keys(await redis.hgetall(keys.retire)).sort()).toEqual(['exec-a', 'exec-c']);
      expect(service.replicas).toBe(3);

      // The controller dies here. The asked executors finish and leave on their own.
      await first.close();
      await until(() => a.retired && c.retired, 10_000, 'the idle executors to retire');
      expect(b.retired).toBe(false);

      // A new controller finds the scale-in in Redis and completes it.
      const second = autoscaler(service, createAutoscaleMetrics(new Registry()));
      await second.setDesired(desired());
      await second.evaluate('executor');
      expect(service.replicas).toBe(1);
      expect(service.writes).toEqual([3, 1]);
      expect(await redis.hlen(keys.retire)).toBe(0);
      expect(await redis.hlen(keys.scaleIns)).toBe(0);
      await second.close();
    } finally {
      for (const executor of executors) await executor.stop();
    }
  });

  it('gives a scale-in up when load comes back, and scales out instead', async () => {
    const service = new FakeService();
    service.replicas = 3;
    const executors = ['exec-d', 'exec-e', 'exec-f'].map((id) => new FakeExecutor(id));
    try {
      for (const executor of executors) {
        executor.busy = 1;
        await executor.start();
      }
      const scaler = autoscaler(service, createAutoscaleMetrics(new Registry()));
      await scaler.setDesired(desired());
      for (const id of ['k1', 'k2']) await queue.add('run', { id }, jobOptions(id));
      // Two jobs for three replicas: retire one; all are busy, so it keeps running for now.
      expect(await scaler.evaluate('executor')).toMatchObject({ direction: 'down', desired: 2 });
      expect(await redis.hlen(keys.scaleIns)).toBe(1);
      for (const id of ['k3', 'k4', 'k5']) await queue.add('run', { id }, jobOptions(id));
      expect(await scaler.evaluate('executor')).toMatchObject({ direction: 'up', desired: 5, apply: true });
      expect(await redis.hlen(keys.scaleIns)).toBe(0);
      expect(service.replicas).toBe(5);
      await scaler.close();
    } finally {
      for (const executor of executors) await executor.stop();
      await queue.drain();
    }
  });

  it('counts a scale-in that retires executors against the step limit of its period', async () => {
    const service = new FakeService();
    service.replicas = 3;
    const executors = ['exec-g', 'exec-h', 'exec-i'].map((id) => new FakeExecutor(id));
    try {
      for (const executor of executors) await executor.start();
      const scaler = autoscaler(service, createAutoscaleMetrics(new Registry()));
      const policy = { scale_down: { stabilization: 0, period: '1h', max_replicas: 1 } };
      await scaler.setDesired(desired(policy));
      // Idle: the recommendation is the minimum, 1; one replica per hour may go.
      const first = await scaler.evaluate('executor');
      expect(first).toMatchObject({ current: 3, desired: 2, direction: 'down' });
      expect(first?.reason).toMatch(/retiring 1 executor/);
      await until(() => executors.some((e) => e.retired), 10_000, 'one executor to retire');
      await until(
        async () => (await scaler.evaluate('executor'), service.replicas === 2),
        10_000,
        'the count to drop as it leaves',
      );
      // The hour's step is spent by the retirement: no second executor is asked.
      const next = await scaler.evaluate('executor');
      expect(next).toMatchObject({ current: 2, desired: 2, direction: 'none' });
      expect(await redis.hlen(keys.retire)).toBe(0);
      expect(service.writes).toEqual([2]);
      await scaler.close();
    } finally {
      for (const executor of executors) await executor.stop();
    }
  });

  it('does not scale a service whose rolling update is paused, and says why', async () => {
    const service = new FakeService();
    service.updateState = 'paused';
    const scaler = autoscaler(service, createAutoscaleMetrics(new Registry()));
    await scaler.setDesired(desired());
    for (const id of ['h1', 'h2', 'h3']) await queue.add('run', { id }, jobOptions(id));
    expect(await scaler.evaluate('executor')).toMatchObject({ mode: 'held', apply: false });
    expect(service.replicas).toBe(1);
    expect(scaler.status()[0]?.evaluations[0]?.reason).toMatch(/rolling update is paused/);
    await scaler.close();
    await queue.drain();
  });

  it('keeps one executor while none has announced its languages, so the first submission can wake it', async () => {
    await redis.del(keys.pool('default'));
    const service = new FakeService();
    service.replicas = 0;
    const scaler = autoscaler(service, createAutoscaleMetrics(new Registry()));
    await scaler.setDesired(desired({ min: 0 }));
    expect(await scaler.evaluate('executor')).toMatchObject({ desired: 1, apply: true });
    expect(service.replicas).toBe(1);
    await redis.set(keys.pool('default'), '{}');
    await scaler.close();
  });

  it('records every evaluation on the metrics registry', async () => {
    const registry = new Registry();
    const service = new FakeService();
    const scaler = autoscaler(service, createAutoscaleMetrics(registry));
    await scaler.setDesired(desired({ dry_run: true }));
    for (const id of ['m1', 'm2']) await queue.add('run', { id }, jobOptions(id));
    expect(await scaler.evaluate('executor')).toMatchObject({ mode: 'dry_run', desired: 2, apply: false });
    expect(service.replicas).toBe(1);
    await scaler.close();
    expect(scaler.status()[0]?.evaluations).toHaveLength(1);
    const text = await registry.metrics();
    expect(text).toMatch(/remcode_autoscale_desired_replicas\{service="executor"\} 2/);
    expect(text).toMatch(/remcode_autoscale_check_up\{service="executor",check="backlog"\} 1/);
    expect(text).toMatch(
      /remcode_autoscale_evaluations_total\{service="executor",mode="dry_run",direction="up"\} 1/,
    );
    await queue.drain();
  });
});
