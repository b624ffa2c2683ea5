/**
 * Executor pools. An operator splits the executors into pools by language (a small image for Python
 * and C that starts fast, a big one for everything else); each pool takes jobs from its own queue, and
 * the webapp puts each submission on the queue of a pool that has its language. Executors announce
 * their pool in Redis with every heartbeat, under a key that expires when the last of them stops, so
 * the languages the webapp offers are those of running executors, never of ones long gone.
 */
import type { Redis } from 'ioredis';
import { SUBMISSION_QUEUE } from './keys.js';
import type { RedisKeys } from './keys.js';
import type { PublishedLanguage } from './languages.js';

/** The pool of an executor started without one (`npm start`, a manifest without `languages:`). */
export const DEFAULT_POOL = 'default';

/** Pool names become parts of queue names and image tags, so they follow Docker's service names. */
export const POOL_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The BullMQ queue of a pool; the default pool keeps the queue name RemCode always had. */
export function poolQueueName(pool: string): string {
  return pool === DEFAULT_POOL ? SUBMISSION_QUEUE : `${SUBMISSION_QUEUE}-${pool}`;
}

/** What the executors of one pool announce: the languages they run and the queue they take jobs from. */
export interface PoolAnnouncement {
  readonly pool: string;
  readonly queue: string;
  readonly languages: readonly PublishedLanguage[];
  /** Epoch ms of the announcement. */
  readonly at: number;
}

/**
 * Announces a pool: its entry in the set of known pools and its record, which expires after `ttlMs`
 * unless announced again (undefined: never, for tests that stand in for an executor).
 */
export async function announcePool(
  redis: Redis,
  keys: RedisKeys,
  pool: string,
  languages: readonly PublishedLanguage[],
  ttlMs: number | undefined,
): Promise<void> {
  const record: PoolAnnouncement = { pool, queue: poolQueueName(pool), languages, at: Date.now() };
  const multi = redis.multi().sadd(keys.pools, pool);
  if (ttlMs === undefined) multi.set(keys.pool(pool), JSON.stringify(record));
  else multi.set(keys.pool(pool), JSON.stringify(record), 'PX', ttlMs);
  await multi.exec();
}

/**
 * The pools whose executors announced themselves within their TTL. Names in the set whose record has
 * expired (a pool scaled to zero, or removed) are dropped from the set as they are seen.
 */
export async function readPools(redis: Redis, keys: RedisKeys): Promise<PoolAnnouncement[]> {
  const names = (await redis.smembers(keys.pools)).sort();
  if (names.length === 0) return [];
  const records = await redis.mget(...names.map((name) => keys.pool(name)));
  const live: PoolAnnouncement[] = [];
  const gone: string[] = [];
  records.forEach((json, i) => {
    if (json === null) gone.push(names[i]!);
    else live.push(JSON.parse(json) as PoolAnnouncement);
  });
  // A racing announcement re-adds its name on its next beat, two seconds later at most.
  if (gone.length > 0) await redis.srem(keys.pools, ...gone).catch(() => 0);
  return live;
}

/**
 * Where a submission in `languageId` goes: among the running pools that have it, the one with the fewest
 * languages (a pool built for a few languages is there to take them fast), then by name. Undefined when
 * no running pool has it.
 */
export function choosePool(
  pools: readonly PoolAnnouncement[],
  languageId: string,
): PoolAnnouncement | undefined {
  return pools
    .filter((p) => p.languages.some((l) => l.id === languageId && l.available))
    .sort((a, b) => a.languages.length - b.languages.length || a.pool.localeCompare(b.pool))[0];
}
