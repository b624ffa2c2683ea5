import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

export interface RedisOptions {
  readonly url: string;
  readonly password: string | undefined;
  /**
   * `request` connections fail fast when Redis is down, so an HTTP request answers 503 instead of hanging;
   * `blocking` connections (BullMQ workers, subscribers) retry forever.
   */
  readonly role: 'request' | 'blocking';
  readonly name: string;
}

export function createRedis(options: RedisOptions, logger: Logger): Redis {
  const redis = new Redis(options.url, {
    ...(options.password !== undefined ? { password: options.password } : {}),
    connectionName: options.name,
    lazyConnect: false,
    // BullMQ requires null here for its blocking connections.
    maxRetriesPerRequest: options.role === 'blocking' ? null : 2,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 100, 2_000),
    // A stalled server (paused, or a network that drops packets) would otherwise hold a request forever;
    // blocking connections wait on purpose.
    ...(options.role === 'request' ? { commandTimeout: 5_000 } : {}),
  });
  let lastError = '';
  redis.on('error', (error: Error) => {
    // A down Redis reports the same error on every retry; log each distinct one once.
    if (error.message !== lastError) logger.warn({ err: error, connection: options.name }, 'redis error');
    lastError = error.message;
  });
  redis.on('ready', () => {
    lastError = '';
  });
  return redis;
}

export class RedisUnreachableError extends Error {
  override readonly name = 'RedisUnreachableError';
}

/** One quick connection attempt, so a program can say "Redis is not reachable" instead of retrying forever. */
export async function assertRedisReachable(options: Pick<RedisOptions, 'url' | 'password'>): Promise<void> {
  const redis = new Redis(options.url, {
    ...(options.password !== undefined ? { password: options.password } : {}),
    lazyConnect: true,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new RedisUnreachableError(`cannot reach Redis: ${(error as Error).message}`, { cause: error });
  } finally {
    redis.disconnect();
  }
}
