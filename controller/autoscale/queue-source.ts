/**
 * Reads the RemCode submission queue for the autoscaler. The counts come from BullMQ's own counting
 * script in one call, so waiting, prioritized, running and due delayed jobs are one consistent
 * snapshot: a job moving from waiting to active between two separate reads would be counted twice or
 * not at all. The queue name and key prefix are those of `common/keys.ts`, the ones the webapp writes
 * and the executors read, so the reader cannot watch a key nobody writes.
 */
import type { Redis } from 'ioredis';
import { redisKeys, type RedisKeys } from '../../common/keys.js';
import { DEFAULT_POOL, poolQueueName } from '../../common/pools.js';
import { createSubmissionQueue, type SubmissionQueue } from '../../common/queue.js';
import type { QueueSample, Reading } from './decide.js';

/** One executor's heartbeat as the executors announce it (executor/worker/heartbeat.ts). */
export interface ExecutorBeat {
  readonly id: string;
  readonly slots: number;
  readonly busy: number;
  readonly state: string;
  /** The executor's pool; absent in the beats of executors from before pools, which served the default. */
  readonly pool?: string;
  /** Epoch ms after which the executor counts as gone. */
  readonly deadline: number;
}

export class QueueSource {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #prefix: string;
  readonly #queues = new Map<string, SubmissionQueue>();
  #closed = false;

  /** `redis` should fail fast (a request connection): a reading that hangs delays every decision. */
  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#keys = redisKeys(prefix);
    this.#prefix = prefix;
  }

  /** The queue of one executor pool, opened once. */
  #queue(pool: string): SubmissionQueue {
    const name = poolQueueName(pool);
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = createSubmissionQueue(this.#redis, this.#prefix, name);
      queue.on('error', () => undefined);
      this.#queues.set(name, queue);
    }
    return queue;
  }

  /** The live executors' heartbeats, of one pool when given; entries past their deadline are left out. */
  async executors(now = Date.now(), pool?: string): Promise<ExecutorBeat[]> {
    const all = await this.#redis.hgetall(this.#keys.executors);
    const beats: ExecutorBeat[] = [];
    for (const json of Object.values(all)) {
      try {
        const beat = JSON.parse(json) as ExecutorBeat;
        if (beat.deadline >= now && (pool === undefined || (beat.pool ?? DEFAULT_POOL) === pool))
          beats.push(beat);
      } catch {
        // A half-written or foreign entry says nothing about capacity.
      }
    }
    return beats;
  }

  /**
   * Runs executors cut short because they were leaving, by cause (`retire`: asked by the autoscaler;
   * `stop`: SIGTERM from Swarm), counted by the executors themselves.
   */
  async interruptedRuns(): Promise<Record<string, number>> {
    const all = await this.#redis.hgetall(this.#keys.runsInterrupted);
    return Object.fromEntries(
      Object.entries(all).map(([cause, count]) => [cause, Number.parseInt(count, 10)]),
    );
  }

  /**
   * The backlog of one executor pool: its own queue, and the slots of its own executors. Never throws: a
   * failure is a reading with status `error`, which the decision treats as unknown.
   */
  async read(intervalMs: number, now = Date.now(), pool: string = DEFAULT_POOL): Promise<Reading> {
    try {
      const dueBefore = Math.floor(now + intervalMs);
      const queue = this.#queue(pool);
      const [countsResult, oldest, executors] = await Promise.all([
        queue.backend.getCounts(['wait', 'prioritized', 'active', 'delayed'], dueBefore),
        queue.getJobs(['wait'], 0, 0, true),
        this.executors(now, pool),
      ]);
      const [waiting = 0, prioritized = 0, active = 0, dueDelayed = 0] = countsResult;
      const first = oldest[0];
      const slots = executors.map((beat) => beat.slots).sort((a, b) => a - b);
      const sample: QueueSample = {
        waiting,
        prioritized,
        active,
        dueDelayed,
        oldestWaitingMs: waiting > 0 && first ? Math.max(0, now - first.timestamp) : 0,
        // The median: one executor started with other settings should not steer the whole count.
        slotsPerReplica: slots.length > 0 ? slots[Math.floor(slots.length / 2)] : undefined,
      };
      return { status: 'ok', value: waiting + prioritized + active + dueDelayed, queue: sample };
    } catch (error) {
      return { status: 'error', message: `queue: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  /** Idempotent; the Redis connection belongs to the caller. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#queues.values()].map((queue) => queue.close().catch(() => undefined)));
  }
}
