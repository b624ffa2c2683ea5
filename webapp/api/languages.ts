import type { Redis } from 'ioredis';
import type { PublishedLanguage } from '../../common/languages.js';
import type { RedisKeys } from '../../common/keys.js';
import { classifyOutage } from '../../common/outage.js';

/** How long a read of the executors' language list is reused. */
const CACHE_MS = 5_000;

/** The languages the executors published, cached briefly so a submission costs no extra round trip. */
export class LanguageDirectory {
  private cached: readonly PublishedLanguage[] | undefined;
  private cachedAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async list(): Promise<readonly PublishedLanguage[]> {
    const now = Date.now();
    if (this.cached && now - this.cachedAt < CACHE_MS) return this.cached;
    let json: string | null;
    try {
      json = await this.redis.get(this.keys.languages);
    } catch (error) {
      // The list changes only when executors change, so an older one is right while Redis restarts: a
      // Redis outage must not stop submissions, which wait in Postgres for the queue to return.
      if (this.cached && classifyOutage(error) !== undefined) return this.cached;
      throw error;
    }
    const list = json === null ? [] : (JSON.parse(json) as PublishedLanguage[]);
    // An empty list is not cached: the first executor may publish any moment now.
    if (list.length > 0) {
      this.cached = list;
      this.cachedAt = now;
    }
    return list;
  }
}
