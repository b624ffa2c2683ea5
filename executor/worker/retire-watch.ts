import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../common/keys.js';
import type { Logger } from '../../common/logger.js';

/**
 * Watches for the autoscaler's request that this executor retire: stop taking jobs, finish the runs it
 * holds, and exit, so that the controller can lower the replica count without Swarm stopping a busy
 * task. Polled rather than subscribed: a request written while the executor was starting is still seen.
 */
export class RetireWatch {
  private timer: NodeJS.Timeout | undefined;
  private fired = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly executorId: string,
    private readonly onRetire: () => void,
    private readonly logger: Logger,
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  async check(): Promise<void> {
    if (this.fired) return;
    try {
      const request = await this.redis.hget(this.keys.retire, this.executorId);
      if (request === null || this.fired) return;
      this.fired = true;
      this.close();
      this.logger.info({ request }, 'asked to retire: finishing held runs, then exiting');
      this.onRetire();
    } catch (error) {
      // Redis trouble: keep working; a missed request only delays the scale-in.
      this.logger.debug({ err: error }, 'retire check failed');
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
