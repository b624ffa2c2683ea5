import type { Redis } from 'ioredis';
import type { PublishedLanguage } from '../../common/languages.js';
import type { RedisKeys } from '../../common/keys.js';
import { classifyOutage } from '../../common/outage.js';
import { choosePool, readPools, type KnownPool } from '../../common/pools.js';

/** How long a read of the executors' pools is reused. */
const CACHE_MS = 5_000;

/** A language as offered: `cold` when only a pool parked at zero has it, so a run waits for an executor. */
export interface OfferedLanguage extends PublishedLanguage {
  readonly cold: boolean;
}

/**
 * The languages of the executor pools, cached briefly so a submission costs no extra round trip. A
 * pool's announcement expires seconds after its last executor stops, so a language is listed while some
 * executor can run it, or while the controller keeps its pool parked at zero (it wakes on its queue);
 * each language routes to the queue of a pool that has it.
 */
export class LanguageDirectory {
  private cached: readonly KnownPool[] | undefined;
  private cachedAt = 0;
  private merged: readonly OfferedLanguage[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** The running and the parked pools. */
  async pools(): Promise<readonly KnownPool[]> {
    const now = Date.now();
    if (this.cached && now - this.cachedAt < CACHE_MS) return this.cached;
    let pools: KnownPool[];
    try {
      pools = await readPools(this.redis, this.keys);
    } catch (error) {
      // Pools change only when executors do, so an older list is right while Redis restarts: a Redis
      // outage must not stop submissions, which wait in Postgres for the queue to return.
      if (this.cached && classifyOutage(error) !== undefined) return this.cached;
      throw error;
    }
    // An empty list is not cached: the first executor may announce itself any moment now.
    if (pools.length > 0) {
      this.cached = pools;
      this.cachedAt = now;
      this.merged = merge(pools);
    }
    return pools;
  }

  /** Every language some pool serves, each once, as the pool a submission would go to has it. */
  async list(): Promise<readonly OfferedLanguage[]> {
    const pools = await this.pools();
    return pools.length === 0 ? [] : pools === this.cached ? this.merged : merge(pools);
  }

  /** The queue of the pool a submission in `languageId` goes to; undefined while no pool has it. */
  async queueFor(languageId: string): Promise<string | undefined> {
    return choosePool(await this.pools(), languageId)?.queue;
  }
}

/** The biggest pool's order first (it lists the most languages in catalogue order), then the others'. */
function merge(pools: readonly KnownPool[]): OfferedLanguage[] {
  const order = [...pools].sort((a, b) => b.languages.length - a.languages.length);
  const seen = new Set<string>();
  const merged: OfferedLanguage[] = [];
  for (const pool of order) {
    for (const language of pool.languages) {
      if (seen.has(language.id)) continue;
      seen.add(language.id);
      // Where two pools have a language, the version shown is that of the pool that runs it.
      const chosen = choosePool(pools, language.id);
      const offered = chosen?.languages.find((l) => l.id === language.id) ?? language;
      merged.push({ ...offered, cold: (chosen ?? pool).state === 'parked' });
    }
  }
  return merged;
}
