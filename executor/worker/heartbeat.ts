import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../common/keys.js';
import type { PublishedLanguage } from '../../common/languages.js';
import type { Logger } from '../../common/logger.js';
import { announcePool } from '../../common/pools.js';

const INTERVAL_MS = 2_000;
/** A heartbeat older than this means the executor is gone (three missed beats). */
const TTL_MS = 3 * INTERVAL_MS + 500;

export interface HeartbeatSource {
  readonly id: string;
  readonly slots: number;
  busy(): number;
  state(): string;
  /** The executor's pool; its queue is the one the executor takes jobs from. */
  readonly pool: string;
  /**
   * The languages the executor serves, announced for its pool with every beat under a key that expires
   * with the heartbeat: the webapp offers only languages some running executor has, and a flushed Redis
   * heals itself.
   */
  readonly languages: readonly PublishedLanguage[];
}

/** Announces the executor in the executors hash every two seconds, with a deadline readers check. */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly source: HeartbeatSource,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), INTERVAL_MS);
    this.timer.unref();
  }

  async beat(): Promise<void> {
    const now = Date.now();
    const beat = {
      id: this.source.id,
      slots: this.source.slots,
      busy: this.source.busy(),
      state: this.source.state(),
      pool: this.source.pool,
      pid: process.pid,
      at: now,
      deadline: now + TTL_MS,
    };
    try {
      await Promise.all([
        this.redis.hset(this.keys.executors, this.source.id, JSON.stringify(beat)),
        announcePool(this.redis, this.keys, this.source.pool, this.source.languages, TTL_MS),
      ]);
      // Entries of executors that died without saying goodbye are removed by whoever sees them first.
      const all = await this.redis.hgetall(this.keys.executors);
      const dead = Object.entries(all)
        .filter(([, json]) => (JSON.parse(json) as { deadline: number }).deadline < now - 60_000)
        .map(([key]) => key);
      if (dead.length > 0) await this.redis.hdel(this.keys.executors, ...dead);
    } catch (error) {
      this.logger.warn({ err: error }, 'heartbeat failed');
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.redis.hdel(this.keys.executors, this.source.id).catch(() => 0);
  }
}
