/**
 * Executor pools. An operator splits the executors into pools by language (a small image for Python
 * and C that starts fast, a big one for everything else); each pool takes jobs from its own queue, and
 * the webapp puts each submission on the queue of a pool that has its language. Executors announce
 * their pool in Redis with every heartbeat, under a key that expires when the last of them stops, so
 * the languages the webapp offers are those of running executors, never of ones long gone.
 *
 * A pool whose autoscaling may take it to zero is the exception: the controller keeps its last
 * announcement, without expiry, as a parked one. The webapp keeps routing its languages to its queue,
 * and the queue is what wakes it (KEDA's activation): without a submission on the queue nothing would.
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
 * Whether a pool has executors announcing it now, or is parked at zero: routable, but a submission
 * waits for the autoscaler to start an executor.
 */
export type PoolState = 'running' | 'parked';

/** A pool the webapp may route to, as read from Redis. */
export interface KnownPool extends PoolAnnouncement {
  readonly state: PoolState;
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

/** Keeps `record` as its pool's parked announcement, without expiry, until `unparkPools` removes it. */
export async function parkPool(redis: Redis, keys: RedisKeys, record: PoolAnnouncement): Promise<void> {
  await redis
    .multi()
    .sadd(keys.pools, record.pool)
    .set(keys.parkedPool(record.pool), JSON.stringify(record))
    .exec();
}

/** Removes the parked announcements of `pools`; returns how many there were. */
export async function unparkPools(redis: Redis, keys: RedisKeys, pools: readonly string[]): Promise<number> {
  if (pools.length === 0) return 0;
  return redis.del(...pools.map((pool) => keys.parkedPool(pool)));
}

/**
 * An announcement read back from Redis, or undefined for one that is absent or not shaped like one (a
 * foreign or half-written value must not take a pool's languages down with it).
 */
export function parseAnnouncement(json: string | null): PoolAnnouncement | undefined {
  if (json === null) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Partial<Record<keyof PoolAnnouncement, unknown>>;
  return typeof record.pool === 'string' &&
    typeof record.queue === 'string' &&
    typeof record.at === 'number' &&
    Array.isArray(record.languages)
    ? (value as PoolAnnouncement)
    : undefined;
}

/**
 * The pools the webapp may route to: those whose executors announced themselves within their TTL
 * (`running`), and those the controller keeps parked at zero (`parked`); a pool with both is running.
 * Names in the set with neither record (a pool scaled to zero without parking, or removed) are dropped
 * from the set as they are seen.
 */
export async function readPools(redis: Redis, keys: RedisKeys): Promise<KnownPool[]> {
  const names = (await redis.smembers(keys.pools)).sort();
  if (names.length === 0) return [];
  const records = await redis.mget(...names.flatMap((name) => [keys.pool(name), keys.parkedPool(name)]));
  const known: KnownPool[] = [];
  const gone: string[] = [];
  names.forEach((name, i) => {
    const live = parseAnnouncement(records[2 * i] ?? null);
    const parked = parseAnnouncement(records[2 * i + 1] ?? null);
    if (live) known.push({ ...live, state: 'running' });
    else if (parked) known.push({ ...parked, state: 'parked' });
    else gone.push(name);
  });
  // A racing announcement re-adds its name on its next beat, two seconds later at most.
  if (gone.length > 0) await redis.srem(keys.pools, ...gone).catch(() => 0);
  return known;
}

/**
 * Where a submission in `languageId` goes: among the pools that have it, a running one before a parked
 * one (its executors take the job now, a parked pool's only after one starts); then the one with the
 * fewest languages (a pool built for a few languages is there to take them fast), then by name.
 * Undefined when no pool has it.
 */
export function choosePool(pools: readonly KnownPool[], languageId: string): KnownPool | undefined {
  return pools
    .filter((p) => p.languages.some((l) => l.id === languageId && l.available))
    .sort(
      (a, b) =>
        Number(a.state === 'parked') - Number(b.state === 'parked') ||
        a.languages.length - b.languages.length ||
        a.pool.localeCompare(b.pool),
    )[0];
}
