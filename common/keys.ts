/**
 * Names of everything RemCode keeps in Redis. Every key starts with the install's prefix so that several
 * installs can share one Redis. Other programs (the controller) read the queue through these names.
 */

/** The BullMQ queue name; BullMQ's own keys are `${prefix}:submissions:*`. */
export const SUBMISSION_QUEUE = 'submissions';

export interface RedisKeys {
  readonly prefix: string;
  /** Stream of the live events of one submission. */
  events(id: string): string;
  /** Pub/sub channel on which every event is announced as `${id} ${type}`. */
  readonly eventsChannel: string;
  /** Pub/sub channel on which the webapp asks executors to stop a submission (message: the id). */
  readonly cancelChannel: string;
  /** Hash executor id → JSON heartbeat. */
  readonly executors: string;
  /** Set of the executor pools announced so far (common/pools.ts); a name may outlive its pool. */
  readonly pools: string;
  /** JSON announcement of one pool: its queue and languages; expires when its executors stop beating. */
  pool(name: string): string;
  /**
   * The last announcement of a pool allowed to scale to zero, kept without expiry by the controller so
   * the webapp still routes its languages to its queue while no executor runs (common/pools.ts).
   */
  parkedPool(name: string): string;
  /** Fixed-window request counter of one API key. */
  rate(keyId: string, window: number): string;
  /** BullMQ's list of waiting jobs (the queue depth the controller scales on). */
  readonly queueWaiting: string;
  /**
   * Hash executor id → JSON request from the autoscaler: stop taking jobs and exit once empty, so that
   * Swarm removes that finished task when the replica count goes down.
   */
  readonly retire: string;
  /** Hash service → JSON scale-in in progress, so a restarted controller finishes what it began. */
  readonly scaleIns: string;
  /**
   * Hash cause (`retire`, `stop`) → runs an executor cut short and handed back because it was leaving.
   * Kept in Redis because the executor that counts one is the one going away; the controller exports it.
   */
  readonly runsInterrupted: string;
}

export function redisKeys(prefix: string): RedisKeys {
  return {
    prefix,
    events: (id) => `${prefix}:events:${id}`,
    eventsChannel: `${prefix}:events`,
    cancelChannel: `${prefix}:cancel`,
    executors: `${prefix}:executors`,
    pools: `${prefix}:pools`,
    pool: (name) => `${prefix}:pool:${name}`,
    parkedPool: (name) => `${prefix}:pool-parked:${name}`,
    rate: (keyId, window) => `${prefix}:rate:${keyId}:${window}`,
    queueWaiting: `${prefix}:${SUBMISSION_QUEUE}:wait`,
    retire: `${prefix}:retire`,
    scaleIns: `${prefix}:autoscale:scale-ins`,
    runsInterrupted: `${prefix}:runs-interrupted`,
  };
}
