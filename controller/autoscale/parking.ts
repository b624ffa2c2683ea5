/**
 * Parking keeps an executor pool that may scale to zero routable while no executor runs. The webapp
 * routes a language only to a pool with an announcement in Redis, and executors announce with a TTL, so
 * without parking the last executor's exit would take the pool's languages away: no submission would
 * reach its queue, and the queue check that wakes a service at zero would never fire. The controller
 * knows which pools may be at zero (an `autoscale.min` of 0 in the desired state), so it keeps their last
 * announcement without expiry, and removes it once the pool may no longer be at zero or leaves the file.
 */
import type { Redis } from 'ioredis';
import { redisKeys, type RedisKeys } from '../../common/keys.js';
import { parkPool, parseAnnouncement, unparkPools, type PoolAnnouncement } from '../../common/pools.js';

/** What the webapp sees of a pool: running executors, a parked announcement, or nothing to route to. */
export type PoolRoute = 'running' | 'parked' | 'none';

export interface ParkingWish {
  /** True when the pool may be at zero, so its last announcement is kept. */
  readonly parkable: boolean;
  /**
   * The languages the desired state gives the pool (undefined: the default pool, whatever its image
   * has). A parked pool never offers a language the file took away while it slept: its next executor
   * would refuse the job.
   */
  readonly languages: readonly string[] | undefined;
}

export class PoolParking {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;

  /** `redis` should fail fast (a request connection): parking runs inside every evaluation. */
  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#keys = redisKeys(prefix);
  }

  /**
   * Brings the pool's parked announcement in line with `wish` and says how the webapp can route to the
   * pool now. A parkable pool's live announcement is copied whenever what it offers changes; a pool
   * that is not parkable loses any parked announcement.
   */
  async sync(pool: string, wish: ParkingWish): Promise<PoolRoute> {
    const [liveJson = null, parkedJson = null] = await this.#redis.mget(
      this.#keys.pool(pool),
      this.#keys.parkedPool(pool),
    );
    const live = parseAnnouncement(liveJson);
    const parked = parseAnnouncement(parkedJson);
    if (!wish.parkable) {
      if (parkedJson !== null) await unparkPools(this.#redis, this.#keys, [pool]);
      return live ? 'running' : 'none';
    }
    const source = live ?? parked;
    if (!source) return 'none';
    const record = restrict(source, wish.languages);
    if (record.languages.length === 0) {
      // Nothing left that a woken executor would run: routing to the pool would only strand submissions.
      if (parkedJson !== null) await unparkPools(this.#redis, this.#keys, [pool]);
      return live ? 'running' : 'none';
    }
    if (!parked || offer(parked) !== offer(record)) await parkPool(this.#redis, this.#keys, record);
    return live ? 'running' : 'parked';
  }

  /**
   * Removes the parked announcements of every known pool not in `parkable`: pools that left the desired
   * state (or were edited out of it while the controller was down) have no evaluation left to do it.
   * Returns the pools whose parked announcement was removed.
   */
  async releaseExcept(parkable: ReadonlySet<string>): Promise<string[]> {
    const names = (await this.#redis.smembers(this.#keys.pools)).filter((name) => !parkable.has(name));
    if (names.length === 0) return [];
    const held = await this.#redis.mget(...names.map((name) => this.#keys.parkedPool(name)));
    const release = names.filter((_, i) => held[i] !== null);
    await unparkPools(this.#redis, this.#keys, release);
    return release;
  }
}

function restrict(record: PoolAnnouncement, languages: readonly string[] | undefined): PoolAnnouncement {
  if (languages === undefined) return record;
  const allowed = new Set(languages);
  return { ...record, languages: record.languages.filter((l) => allowed.has(l.id)) };
}

/** What a record offers the webapp; its time changes with every beat and is no reason to write. */
function offer(record: PoolAnnouncement): string {
  return JSON.stringify([record.queue, record.languages]);
}
