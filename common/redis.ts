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

/**
 * The URL and credentials as ioredis takes them. ioredis reads `redis://NAME@host` as a password, not a
 * user name, so a user name in the URL (a Redis ACL user, docs/operations.md) is passed on its own.
 */
function target(
  url: string,
  password: string | undefined,
): [string, { username?: string; password?: string }] {
  const parsed = new URL(url);
  const username = decodeURIComponent(parsed.username);
  const secret = password ?? (parsed.password === '' ? undefined : decodeURIComponent(parsed.password));
  parsed.username = '';
  parsed.password = '';
  return [
    parsed.toString(),
    { ...(username !== '' ? { username } : {}), ...(secret !== undefined ? { password: secret } : {}) },
  ];
}

export function createRedis(options: RedisOptions, logger: Logger): Redis {
  const [url, credentials] = target(options.url, options.password);
  const redis = new Redis(url, {
    ...credentials,
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
  const [url, credentials] = target(options.url, options.password);
  const redis = new Redis(url, {
    ...credentials,
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
