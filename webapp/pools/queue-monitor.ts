import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../common/keys.js';
import type { Logger } from '../../common/logger.js';
import { readQueueStats } from '../../common/queue.js';
import type { QueueStats } from '../../common/queue.js';
import type { PoolQueues } from './queues.js';

export interface ExecutorHeartbeat {
  readonly id: string;
  readonly slots: number;
  readonly busy: number;
  readonly state: string;
  /** Epoch ms after which the executor counts as gone. */
  readonly deadline: number;
}

export interface ClusterStats extends QueueStats {
  readonly executorsOnline: number;
  readonly slots: number;
  readonly busySlots: number;
}

const EMPTY: ClusterStats = {
  depth: 0,
  active: 0,
  oldestAgeSeconds: 0,
  executorsOnline: 0,
  slots: 0,
  busySlots: 0,
};

/** The figures of every pool's queue together: admission control caps the work waiting anywhere. */
function sum(stats: readonly QueueStats[]): QueueStats {
  return {
    depth: stats.reduce((n, s) => n + s.depth, 0),
    active: stats.reduce((n, s) => n + s.active, 0),
    oldestAgeSeconds: Math.max(0, ...stats.map((s) => s.oldestAgeSeconds)),
  };
}

/**
 * Reads queue depth and executor heartbeats on an interval so that admission control and metrics use a
 * fresh figure without a Redis round trip per request.
 */
export class QueueMonitor {
  private current: ClusterStats = EMPTY;
  private timer: NodeJS.Timeout | undefined;
  private readonly ready: Promise<void>;

  constructor(
    private readonly queues: PoolQueues,
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly logger: Logger,
    intervalMs = 250,
  ) {
    this.ready = this.refresh();
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref();
  }

  get stats(): ClusterStats {
    return this.current;
  }

  /** Resolves after the first reading. */
  async started(): Promise<void> {
    await this.ready;
  }

  async refresh(): Promise<void> {
    try {
      const [queue, beats] = await Promise.all([
        this.queues
          .current()
          .then(async (queues) => sum(await Promise.all(queues.map((q) => readQueueStats(q))))),
        this.redis.hgetall(this.keys.executors),
      ]);
      const now = Date.now();
      let executorsOnline = 0;
      let slots = 0;
      let busySlots = 0;
      for (const json of Object.values(beats)) {
        const beat = JSON.parse(json) as ExecutorHeartbeat;
        if (beat.deadline < now) continue;
        executorsOnline++;
        slots += beat.slots;
        busySlots += beat.busy;
      }
      this.current = { ...queue, executorsOnline, slots, busySlots };
    } catch (error) {
      this.logger.debug({ err: error }, 'queue stats unavailable');
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
