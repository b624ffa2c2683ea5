import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, deleteRedisPrefix, testPrefix } from '../test/support/isolation.js';
import { redisKeys } from './keys.js';
import type { PublishedLanguage } from './languages.js';
import { announcePool, parkPool, poolQueueName, readPools, unparkPools } from './pools.js';
import { publishedLanguage } from '../test/support/published-language.js';

/** Pool announcements, live and parked, as the webapp reads them back from a real Redis. */
const prefix = testPrefix();
const keys = redisKeys(prefix);
const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 2 });

const language = (id: string, version = '1'): PublishedLanguage => publishedLanguage(id, { version });

function parked(pool: string, ...languages: PublishedLanguage[]) {
  return { pool, queue: poolQueueName(pool), languages, at: 1 };
}

beforeEach(async () => {
  await deleteRedisPrefix(prefix);
});

afterAll(async () => {
  redis.disconnect();
  await deleteRedisPrefix(prefix);
});

describe('readPools', () => {
  it('reads a parked pool as parked, with no expiry on its record', async () => {
    await parkPool(redis, keys, parked('big', language('java')));
    expect(await redis.pttl(keys.parkedPool('big'))).toBe(-1);
    expect(await readPools(redis, keys)).toEqual([{ ...parked('big', language('java')), state: 'parked' }]);
  });

  it('reads a pool with both records as running, with what its executors announce now', async () => {
    await parkPool(redis, keys, parked('big', language('java', '17')));
    await announcePool(redis, keys, 'big', [language('java', '21')], 60_000);
    const [pool] = await readPools(redis, keys);
    expect(pool).toMatchObject({ pool: 'big', state: 'running', languages: [{ id: 'java', version: '21' }] });
  });

  it('falls back to the parked record once the live one is gone, and forgets a pool with neither', async () => {
    await parkPool(redis, keys, parked('big', language('java')));
    await announcePool(redis, keys, 'big', [language('java')], 60_000);
    await announcePool(redis, keys, 'small', [language('c')], 60_000);
    // The executors stop: their announcements are gone (expired, here deleted).
    await redis.del(keys.pool('big'), keys.pool('small'));
    expect((await readPools(redis, keys)).map((p) => [p.pool, p.state])).toEqual([['big', 'parked']]);
    expect(await redis.smembers(keys.pools)).toEqual(['big']);
    expect(await unparkPools(redis, keys, ['big'])).toBe(1);
    expect(await readPools(redis, keys)).toEqual([]);
    expect(await redis.smembers(keys.pools)).toEqual([]);
  });

  it('skips a record that is not an announcement rather than failing every submission', async () => {
    await announcePool(redis, keys, 'small', [language('c')], 60_000);
    await redis.sadd(keys.pools, 'odd', 'garbled');
    await redis.set(keys.pool('odd'), '{}');
    await redis.set(keys.parkedPool('garbled'), 'not json');
    expect((await readPools(redis, keys)).map((p) => p.pool)).toEqual(['small']);
  });
});
