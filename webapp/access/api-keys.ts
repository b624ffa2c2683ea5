import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { RedisKeys } from '../../common/keys.js';
import { classifyOutage, rideThrough } from '../../common/outage.js';
import { ProblemError } from '../api/errors.js';

export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly ratePerMinute: number | null;
}

function hashKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** Creates a key; the plain key is returned once and only its hash is stored. */
export async function createApiKey(
  pool: pg.Pool,
  name: string,
  ratePerMinute: number | null,
): Promise<{ id: string; key: string }> {
  const id = randomUUID();
  const key = `rc_${randomBytes(24).toString('base64url')}`;
  await pool.query('INSERT INTO api_keys (id, name, key_hash, rate_per_minute) VALUES ($1, $2, $3, $4)', [
    id,
    name,
    hashKey(key),
    ratePerMinute,
  ]);
  return { id, key };
}

const CACHE_MS = 30_000;

export interface AuthOptions {
  readonly mode: 'open' | 'required';
  readonly defaultRatePerMinute: number;
  /** How long a key lookup waits out a Postgres outage. Default 0. */
  readonly outageBudgetMs?: number;
}

/**
 * API keys and per-key rate limits. In open mode anonymous requests pass and a presented key is still
 * checked and limited; in required mode every submission needs a valid key.
 */
export class ApiKeys {
  private readonly cache = new Map<string, { record: ApiKeyRecord | null; at: number }>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: AuthOptions,
  ) {}

  private async lookup(key: string): Promise<ApiKeyRecord | null> {
    const hash = hashKey(key);
    const cacheKey = hash.toString('hex');
    const hit = this.cache.get(cacheKey);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.record;
    const { rows } = await rideThrough(
      'postgres',
      () =>
        this.pool.query<{ id: string; name: string; rate_per_minute: number | null }>(
          'SELECT id, name, rate_per_minute FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
          [hash],
        ),
      { budgetMs: this.options.outageBudgetMs ?? 0 },
    );
    const row = rows[0];
    const record = row ? { id: row.id, name: row.name, ratePerMinute: row.rate_per_minute } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(cacheKey, { record, at: Date.now() });
    return record;
  }

  /** The caller's key (or null when anonymous in open mode); throws 401 or 429 problems. */
  async authenticate(request: FastifyRequest): Promise<ApiKeyRecord | null> {
    const header = request.headers.authorization;
    const presented =
      typeof request.headers['x-api-key'] === 'string'
        ? request.headers['x-api-key']
        : header?.startsWith('Bearer ')
          ? header.slice(7).trim()
          : undefined;
    if (presented === undefined || presented === '') {
      if (this.options.mode === 'required') {
        throw new ProblemError(
          401,
          'api_key_required',
          'An API key is required',
          'Send it as "Authorization: Bearer KEY"',
          {
            'www-authenticate': 'Bearer',
          },
        );
      }
      return null;
    }
    const record = await this.lookup(presented);
    if (!record)
      throw new ProblemError(401, 'invalid_api_key', 'The API key is not valid', undefined, {
        'www-authenticate': 'Bearer',
      });
    await this.charge(record);
    return record;
  }

  /** Fixed one-minute windows: one INCR per request, expiring with the window. */
  private async charge(record: ApiKeyRecord): Promise<void> {
    const limit = record.ratePerMinute ?? this.options.defaultRatePerMinute;
    const now = Date.now();
    const window = Math.floor(now / 60_000);
    const key = this.keys.rate(record.id, window);
    let results: [Error | null, unknown][] | null;
    try {
      results = await this.redis.multi().incr(key).expire(key, 120).exec();
    } catch (error) {
      // The limit shares load fairly; it is not a lock. While Redis is away the submission is still
      // taken (it waits in Postgres for the queue), uncounted, rather than refused for want of a counter.
      if (classifyOutage(error) !== undefined) return;
      throw error;
    }
    const count = Number(results?.[0]?.[1] ?? 0);
    if (count > limit) {
      const retryAfter = Math.max(1, Math.ceil(((window + 1) * 60_000 - now) / 1000));
      throw new ProblemError(
        429,
        'rate_limited',
        'Too many requests for this API key',
        `The limit is ${limit} per minute`,
        {
          'retry-after': String(retryAfter),
        },
      );
    }
  }
}
