/**
 * Scale-in that cuts no run short. Swarm, not the controller, picks which task stops when the replica
 * count goes down, and it prefers tasks that are not running. So the controller first asks the k least
 * busy executors, through Redis, to stop taking jobs and exit once their runs are over; as each one's
 * task stops running, it lowers the count by one, and Swarm removes that finished slot (its restart waits
 * out the restart delay, so the slot is not running when the count drops).
 *
 * The scale-in is written to Redis before the first request, so a controller that restarts halfway finds
 * it and carries on. SIGTERM drain stays the safety net for any task Swarm stops anyway.
 */
import type { Redis } from 'ioredis';
import { redisKeys, type RedisKeys } from '../../common/keys.js';
import type { Logger } from '../../common/logger.js';
import type { AutoscaleMetrics } from './metrics.js';
import type { ExecutorBeat } from './queue-source.js';
import type { ScaleTarget } from './swarm-target.js';

export interface ScaleIn {
  readonly service: string;
  /** Replicas when the scale-in began. */
  readonly from: number;
  readonly executors: readonly string[];
  readonly at: number;
  /** Replicas already removed. */
  readonly lowered: number;
  /** Who began it; only that part carries it on. Absent in records written before the rebalancer used it. */
  readonly by?: RetireOwner;
}

/** The parts that retire executors: the autoscaler on scale-in, the rebalancer on the scale-down of a move. */
export type RetireOwner = 'autoscaler' | 'rebalancer';

export interface BeginOptions {
  /**
   * Only executors in these containers (full ids or their 12-character prefixes) may be chosen: the
   * rebalancer's scale-down must take a task off the fullest node, not any idle one.
   */
  readonly among?: readonly string[];
  readonly by?: RetireOwner;
}

export interface RetirerOptions {
  readonly redis: Redis;
  readonly prefix: string;
  readonly logger: Logger;
  readonly metrics: AutoscaleMetrics;
  /** A scale-in still open after this is given up (the count stays). Default 10 min. */
  readonly timeoutMs?: number;
  /** Reads the live heartbeats of a service's executors (those of its pool). */
  readonly executors: (service: string) => Promise<ExecutorBeat[]>;
}

/** Executor ids are `<hostname>-<pid>`; in a container the hostname is the container id's first 12 characters. */
export function containerOf(executorId: string): string | undefined {
  const match = /^([0-9a-f]{12})-\d+$/.exec(executorId);
  return match?.[1];
}

/**
 * The executors to ask to retire: running ones (not already draining), least busy first, at most
 * `count`, and with `among` only those whose container is in it. Ties go by id so the choice is stable.
 */
export function chooseRetirees(
  beats: readonly ExecutorBeat[],
  count: number,
  among?: readonly string[],
): string[] {
  const allowed =
    among === undefined
      ? undefined
      : (beat: ExecutorBeat) => {
          const container = containerOf(beat.id);
          return container !== undefined && among.some((id) => id.startsWith(container));
        };
  return beats
    .filter((beat) => beat.state === 'running' && (allowed === undefined || allowed(beat)))
    .sort((a, b) => a.busy - b.busy || a.id.localeCompare(b.id))
    .slice(0, Math.max(0, count))
    .map((beat) => beat.id);
}

export class Retirer {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #log: Logger;
  readonly #metrics: AutoscaleMetrics;
  readonly #timeoutMs: number;
  readonly #executors: (service: string) => Promise<ExecutorBeat[]>;

  constructor(options: RetirerOptions) {
    this.#redis = options.redis;
    this.#keys = redisKeys(options.prefix);
    this.#log = options.logger.child({ component: 'retire' });
    this.#metrics = options.metrics;
    this.#timeoutMs = options.timeoutMs ?? 600_000;
    this.#executors = options.executors;
  }

  async pending(service: string): Promise<ScaleIn | undefined> {
    const json = await this.#redis.hget(this.#keys.scaleIns, service);
    return json === null ? undefined : (JSON.parse(json) as ScaleIn);
  }

  /**
   * Asks the `count` least busy running executors to retire; returns how many were asked (fewer when
   * fewer run). Nothing changes in Swarm yet.
   */
  async begin(
    service: string,
    from: number,
    count: number,
    now = Date.now(),
    options: BeginOptions = {},
  ): Promise<number> {
    const chosen = chooseRetirees(await this.#executors(service), count, options.among);
    if (chosen.length === 0) return 0;
    const by = options.by ?? 'autoscaler';
    const record: ScaleIn = { service, from, executors: chosen, at: now, lowered: 0, by };
    const request = JSON.stringify({ service, at: now });
    const multi = this.#redis.multi().hset(this.#keys.scaleIns, service, JSON.stringify(record));
    for (const id of chosen) multi.hset(this.#keys.retire, id, request);
    await multi.exec();
    this.#metrics.retiring.set({ service }, chosen.length);
    this.#log.info({ service, from, executors: chosen, by }, 'asked executors to retire');
    return chosen.length;
  }

  /**
   * Lowers the count by one for each asked executor whose task no longer runs; ends the scale-in once all
   * have gone. Returns the scale-in still open, if any. A scale-in another part began is returned as it
   * is: two parts lowering one count would each see the other's change and give the scale-in up.
   */
  async progress(
    service: string,
    target: ScaleTarget,
    now = Date.now(),
    by: RetireOwner = 'autoscaler',
  ): Promise<ScaleIn | undefined> {
    const record = await this.pending(service);
    if (!record) return undefined;
    if ((record.by ?? 'autoscaler') !== by) return record;
    const snapshot = await target.read();
    const expected = record.from - record.lowered;
    if (!snapshot || snapshot.replicas !== expected) {
      // Someone else changed the count (an edit of the file, a person): the plan no longer holds.
      await this.abandon(record, 'the replica count changed meanwhile');
      return undefined;
    }
    const [beats, running] = await Promise.all([this.#executors(service), target.runningContainers()]);
    const alive = new Set(beats.map((beat) => beat.id));
    const gone = record.executors.filter((id) => {
      if (alive.has(id)) return false;
      const container = containerOf(id);
      // Its heartbeat is gone; when we can name its container, also wait until Swarm no longer runs it,
      // or lowering the count now could still pick a running task.
      return container === undefined || !running.some((full) => full.startsWith(container));
    }).length;
    if (gone > record.lowered) {
      const to = record.from - gone;
      if (!(await target.setReplicas(to, expected))) {
        await this.abandon(record, 'the replica count changed meanwhile');
        return undefined;
      }
      this.#metrics.retirements.inc({ service, outcome: 'exited' }, gone - record.lowered);
      this.#log.info({ service, replicas: to, retired: gone }, 'retired executors; lowered replicas');
    }
    const next: ScaleIn = { ...record, lowered: Math.max(record.lowered, gone) };
    if (next.lowered >= record.executors.length) {
      await this.#clear(record);
      return undefined;
    }
    if (now - record.at > this.#timeoutMs) {
      await this.abandon(next, 'executors still busy after the wait');
      return undefined;
    }
    await this.#redis.hset(this.#keys.scaleIns, service, JSON.stringify(next));
    this.#metrics.retiring.set({ service }, record.executors.length - next.lowered);
    return next;
  }

  /**
   * Gives the scale-in up; executors already draining still exit and Swarm starts their slots again, so
   * the count stays what it is now.
   */
  async abandon(record: ScaleIn, reason: string): Promise<void> {
    const left = record.executors.length - record.lowered;
    if (left > 0) this.#metrics.retirements.inc({ service: record.service, outcome: 'abandoned' }, left);
    this.#log.info({ service: record.service, reason, left }, 'scale-in given up');
    await this.#clear(record);
  }

  async #clear(record: ScaleIn): Promise<void> {
    const multi = this.#redis.multi().hdel(this.#keys.scaleIns, record.service);
    if (record.executors.length > 0) multi.hdel(this.#keys.retire, ...record.executors);
    await multi.exec();
    this.#metrics.retiring.set({ service: record.service }, 0);
  }
}
