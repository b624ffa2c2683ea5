import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBMISSION_QUEUE, redisKeys } from '../../common/keys.js';
import { createSubmissionQueue, jobOptions, type SubmissionQueue } from '../../common/queue.js';
import { TEST_REDIS_URL, deleteRedisPrefix, testPrefix } from '../../test/support/isolation.js';
import { until } from '../../test/support/until.js';
import type { Reading } from './decide.js';
import { registerInterruptedRuns } from './metrics.js';
import { QueueSource } from './queue-source.js';

const prefix = testPrefix();
const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 2 });
const workerRedis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
let queue: SubmissionQueue;
let source: QueueSource;
let worker: Worker | undefined;
/** Jobs the worker holds until the test lets them go. */
const held: (() => void)[] = [];
let release = false;

const add = (id: string, extra: Record<string, unknown> = {}) =>
  queue.add('run', { id }, { ...jobOptions(id), ...extra });

function sample(reading: Reading) {
  expect(reading.status, JSON.stringify(reading)).toBe('ok');
  if (reading.status !== 'ok' || !reading.queue) throw new Error('no sample');
  return { value: reading.value, ...reading.queue };
}

beforeAll(() => {
  queue = createSubmissionQueue(redis, prefix);
  source = new QueueSource(redis, prefix);
});

afterAll(async () => {
  release = true;
  for (const done of held.splice(0)) done();
  await worker?.close();
  await source.close();
  await queue.close();
  redis.disconnect();
  workerRedis.disconnect();
  expect(await deleteRedisPrefix(prefix)).toBeGreaterThan(0);
});

describe('queue source', () => {
  it('counts waiting, prioritized, running and due delayed jobs, read at once, and nothing else', async () => {
    expect(sample(await source.read(2_000)).value).toBe(0);

    // Two jobs held by a worker with two slots: active, and the worker takes nothing more.
    worker = new Worker(
      SUBMISSION_QUEUE,
      async (job) => {
        if (job.data && (job.data as { id: string }).id.startsWith('fail'))
          throw new Error('planned failure');
        if (release) return;
        await new Promise<void>((resolve) => held.push(resolve));
      },
      { connection: workerRedis, prefix, concurrency: 2 },
    );
    worker.on('error', () => undefined);
    await add('fail-1', { attempts: 1 });
    await until(async () => (await queue.getFailedCount()) === 1, 20_000, 'a failed job');
    await add('active-1');
    await add('active-2');
    await until(async () => (await queue.getActiveCount()) === 2, 20_000, 'two active jobs');

    for (const id of ['wait-1', 'wait-2', 'wait-3']) await add(id);
    for (const id of ['prio-1', 'prio-2']) await add(id, { priority: 1 });
    await add('soon', { delay: 1_500 });
    await add('later', { delay: 120_000 });
    await redis.hset(
      redisKeys(prefix).executors,
      'e1',
      JSON.stringify({ id: 'e1', slots: 4, busy: 2, state: 'running', deadline: Date.now() + 60_000 }),
      'e2',
      JSON.stringify({ id: 'e2', slots: 4, busy: 0, state: 'running', deadline: Date.now() + 60_000 }),
      'gone',
      JSON.stringify({ id: 'gone', slots: 64, busy: 0, state: 'running', deadline: Date.now() - 1 }),
    );

    const read = sample(await source.read(2_000));
    expect(read).toMatchObject({
      waiting: 3,
      prioritized: 2,
      active: 2,
      dueDelayed: 1,
      value: 8,
      slotsPerReplica: 4,
    });
    // The same queue with a shorter interval: the delayed job is not due within it.
    expect(sample(await source.read(100))).toMatchObject({ dueDelayed: 0, value: 7 });

    // The oldest waiting job ages while it waits.
    const firstAge = read.oldestWaitingMs;
    await until(
      async () => sample(await source.read(100)).oldestWaitingMs >= firstAge + 200,
      10_000,
      'the oldest job to age',
    );

    // Let everything run: the count falls to 0 although the far delayed job is still there.
    release = true;
    for (const done of held.splice(0)) done();
    await until(async () => sample(await source.read(2_000)).value === 0, 30_000, 'an empty queue');
    expect(await queue.getDelayedCount()).toBe(1);
    expect(sample(await source.read(2_000))).toMatchObject({ oldestWaitingMs: 0 });
  });

  it('reports a Redis that cannot be reached as an error, never as an empty queue', async () => {
    const unreachable = new Redis('redis://127.0.0.1:1', {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    unreachable.on('error', () => undefined);
    const downSource = new QueueSource(unreachable, prefix);
    try {
      const reading = await downSource.read(2_000);
      expect(reading.status).toBe('error');
    } finally {
      await downSource.close();
      unreachable.disconnect();
    }
  });

  it('exports the runs leaving executors counted in Redis, and leaves the series out when Redis fails', async () => {
    const registry = new Registry();
    registerInterruptedRuns(registry, () => source.interruptedRuns());
    expect(await registry.metrics()).toMatch(/^remcode_runs_interrupted_total\{cause="retire"\} 0$/m);
    await redis.hincrby(redisKeys(prefix).runsInterrupted, 'stop', 2);
    const text = await registry.metrics();
    expect(text).toMatch(/^remcode_runs_interrupted_total\{cause="stop"\} 2$/m);
    expect(text).toMatch(/^remcode_runs_interrupted_total\{cause="retire"\} 0$/m);
    const failing = new Registry();
    registerInterruptedRuns(failing, () => Promise.reject(new Error('down')));
    expect(await failing.metrics()).not.toMatch(/^remcode_runs_interrupted_total\{/m);
  });
});
