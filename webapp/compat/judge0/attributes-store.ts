import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../../common/keys.js';
import type { Judge0Attributes } from './request.js';

/**
 * Judge0's request attributes of each submission made through the Judge0 dialect, in Redis beside the
 * submission and expiring with it. Losing them only changes how an answer echoes the request (and drops
 * the stderr redirection); the submission itself lives in Postgres.
 */
export class AttributesStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly ttlMs: number,
  ) {}

  /** `${prefix}:judge0:${id}`, beside the other keys of the install. */
  private key(id: string): string {
    return `${this.keys.prefix}:judge0:${id}`;
  }

  async put(id: string, attributes: Judge0Attributes): Promise<void> {
    await this.redis.set(this.key(id), JSON.stringify(attributes), 'PX', this.ttlMs);
  }

  async remove(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }

  async get(ids: readonly string[]): Promise<(Judge0Attributes | null)[]> {
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => this.key(id)));
    return values.map((v) => (v === null ? null : (JSON.parse(v) as Judge0Attributes)));
  }
}
