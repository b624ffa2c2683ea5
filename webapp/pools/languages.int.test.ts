import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { redisKeys } from '../../common/keys.js';
import type { PublishedLanguage } from '../../common/languages.js';
import { announcePool, parkPool, poolQueueName } from '../../common/pools.js';
import { TEST_REDIS_URL, deleteRedisPrefix, testPrefix } from '../../test/support/isolation.js';
import { LanguageDirectory } from './languages.js';
import { publishedLanguage } from '../../test/support/published-language.js';

/** The webapp's routing over running and parked pools, read from a real Redis. */
const prefix = testPrefix();
const keys = redisKeys(prefix);
const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 2 });

const language = (id: string, version: string): PublishedLanguage => publishedLanguage(id, { version });

beforeEach(async () => {
  await deleteRedisPrefix(prefix);
});

afterAll(async () => {
  redis.disconnect();
  await deleteRedisPrefix(prefix);
});

describe('LanguageDirectory', () => {
  it('offers a parked pool’s languages as cold and routes them to its queue', async () => {
    await parkPool(redis, keys, {
      pool: 'big',
      queue: poolQueueName('big'),
      languages: [language('java', '21'), language('go', '1.22')],
      at: 1,
    });
    const directory = new LanguageDirectory(redis, keys);
    expect((await directory.list()).map((l) => [l.id, l.cold])).toEqual([
      ['java', true],
      ['go', true],
    ]);
    expect(await directory.queueFor('java')).toBe('submissions-big');
    expect(await directory.queueFor('python')).toBeUndefined();
  });

  it('sends a language two pools have to the running one, with its version, and says it is not cold', async () => {
    await parkPool(redis, keys, {
      pool: 'asleep',
      queue: poolQueueName('asleep'),
      languages: [language('python', '3.13')],
      at: 1,
    });
    await announcePool(redis, keys, 'awake', [language('python', '3.11'), language('c', '14')], 60_000);
    const directory = new LanguageDirectory(redis, keys);
    expect(await directory.queueFor('python')).toBe('submissions-awake');
    const python = (await directory.list()).find((l) => l.id === 'python');
    expect(python).toMatchObject({ version: '3.11', cold: false });
  });

  it('reads a parked pool as running again once its executors announce themselves', async () => {
    await parkPool(redis, keys, {
      pool: 'big',
      queue: poolQueueName('big'),
      languages: [language('java', '21')],
      at: 1,
    });
    await announcePool(redis, keys, 'big', [language('java', '21')], 60_000);
    const directory = new LanguageDirectory(redis, keys);
    expect((await directory.list()).map((l) => [l.id, l.cold])).toEqual([['java', false]]);
  });
});
