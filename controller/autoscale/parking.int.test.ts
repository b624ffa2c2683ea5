import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { redisKeys } from '../../common/keys.js';
import type { PublishedLanguage } from '../../common/languages.js';
import { announcePool, parseAnnouncement, readPools } from '../../common/pools.js';
import { TEST_REDIS_URL, deleteRedisPrefix, testPrefix } from '../../test/support/isolation.js';
import { PoolParking } from './parking.js';
import { publishedLanguage } from '../../test/support/published-language.js';

/** Parking against a real Redis, with announcements written the way executors write them. */
const prefix = testPrefix();
const keys = redisKeys(prefix);
const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 2 });
const parking = new PoolParking(redis, prefix);
const parkable = { parkable: true, languages: ['java', 'go'] } as const;

const language = (id: string, version = '1'): PublishedLanguage => publishedLanguage(id, { version });

/** The executors of `pool` stop: their announcement expires (here, at once). */
async function executorsGone(pool: string): Promise<void> {
  await redis.del(keys.pool(pool));
}

async function parkedIds(pool: string): Promise<string[] | undefined> {
  return parseAnnouncement(await redis.get(keys.parkedPool(pool)))?.languages.map((l) => l.id);
}

beforeEach(async () => {
  await deleteRedisPrefix(prefix);
});

afterAll(async () => {
  redis.disconnect();
  await deleteRedisPrefix(prefix);
});

describe('PoolParking', () => {
  it('keeps a parkable pool’s last announcement after its executors stop', async () => {
    await announcePool(redis, keys, 'big', [language('java'), language('go')], 60_000);
    expect(await parking.sync('big', parkable)).toBe('running');
    expect(await redis.pttl(keys.parkedPool('big'))).toBe(-1);
    await executorsGone('big');
    expect(await parking.sync('big', parkable)).toBe('parked');
    expect((await readPools(redis, keys)).map((p) => [p.pool, p.state])).toEqual([['big', 'parked']]);
  });

  it('follows what the executors announce, such as a new version after an image update', async () => {
    await announcePool(redis, keys, 'big', [language('java', '17')], 60_000);
    await parking.sync('big', parkable);
    await announcePool(redis, keys, 'big', [language('java', '21')], 60_000);
    await parking.sync('big', parkable);
    await executorsGone('big');
    const [pool] = await readPools(redis, keys);
    expect(pool?.languages.map((l) => l.version)).toEqual(['21']);
  });

  it('offers no language the desired state took from the pool while it sleeps', async () => {
    await announcePool(redis, keys, 'big', [language('java'), language('go')], 60_000);
    await parking.sync('big', parkable);
    await executorsGone('big');
    expect(await parking.sync('big', { parkable: true, languages: ['go', 'rust'] })).toBe('parked');
    expect(await parkedIds('big')).toEqual(['go']);
    // With none of its languages left, the pool is not routable: the autoscaler's floor wakes it.
    expect(await parking.sync('big', { parkable: true, languages: ['rust'] })).toBe('none');
    expect(await redis.exists(keys.parkedPool('big'))).toBe(0);
  });

  it('removes the parked announcement once the pool may no longer be at zero', async () => {
    await announcePool(redis, keys, 'big', [language('java')], 60_000);
    await parking.sync('big', parkable);
    await executorsGone('big');
    expect(await parking.sync('big', { parkable: false, languages: ['java'] })).toBe('none');
    expect(await redis.exists(keys.parkedPool('big'))).toBe(0);
    expect(await readPools(redis, keys)).toEqual([]);
  });

  it('has nothing to park before any executor announced the pool, or when its record is not an announcement', async () => {
    expect(await parking.sync('big', parkable)).toBe('none');
    await redis.set(keys.pool('big'), '{}');
    expect(await parking.sync('big', parkable)).toBe('none');
    expect(await redis.exists(keys.parkedPool('big'))).toBe(0);
  });

  it('releases the pools that left the desired state, and only those', async () => {
    for (const pool of ['big', 'gone', 'running']) {
      await announcePool(redis, keys, pool, [language('java')], 60_000);
      await parking.sync(pool, { parkable: true, languages: undefined });
    }
    await executorsGone('big');
    await executorsGone('gone');
    expect(await parking.releaseExcept(new Set(['big']))).toEqual(
      expect.arrayContaining(['gone', 'running']),
    );
    expect((await readPools(redis, keys)).map((p) => [p.pool, p.state])).toEqual([
      ['big', 'parked'],
      ['running', 'running'],
    ]);
    expect(await parking.releaseExcept(new Set(['big']))).toEqual([]);
  });
});
