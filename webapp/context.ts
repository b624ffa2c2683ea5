import type { Redis } from 'ioredis';
import type pg from 'pg';
import { Registry } from 'prom-client';
import type { WebappConfig } from '../common/config.js';
import { createPool } from '../common/db.js';
import { redisKeys } from '../common/keys.js';
import type { RedisKeys } from '../common/keys.js';
import { runCloseSteps } from '../common/lifecycle/close-steps.js';
import type { Logger } from '../common/logger.js';
import type { SubmissionQueue } from '../common/queue.js';
import { createRedis } from '../common/redis.js';
import { SubmissionStore } from '../common/submissions-store.js';
import { ApiKeys } from './access/api-keys.js';
import { WebappLifecycle } from './lifecycle.js';
import { SchemaGate } from './schema-gate.js';
import { createWebappMetrics } from './metrics.js';
import type { WebappMetrics } from './metrics.js';
import { LanguageDirectory } from './pools/languages.js';
import { QueueMonitor } from './pools/queue-monitor.js';
import { PoolQueues } from './pools/queues.js';
import { Enqueuer } from './submissions/enqueuer.js';
import { NoticeHub } from './submissions/notices.js';

/** Everything the routes and the submission service use, built once (here) and passed in. */
export interface ApiContext {
  readonly config: WebappConfig;
  readonly logger: Logger;
  readonly pool: pg.Pool;
  readonly redis: Redis;
  readonly keys: RedisKeys;
  /** The default pool's queue (`npm start`'s executor, and manifests without pools). */
  readonly queue: SubmissionQueue;
  /** Every executor pool's queue; a submission goes to that of a running pool with its language. */
  readonly queues: PoolQueues;
  /** Adds submission jobs, deferring them while Redis is away. */
  readonly enqueuer: Enqueuer;
  readonly store: SubmissionStore;
  readonly hub: NoticeHub;
  readonly languages: LanguageDirectory;
  readonly monitor: QueueMonitor;
  readonly apiKeys: ApiKeys;
  readonly registry: Registry;
  /** The process's metrics, registered on `registry`. */
  readonly metrics: WebappMetrics;
  /** Readiness fails once this leaves `serving`. */
  readonly lifecycle: WebappLifecycle;
  /** Until the database schema is at this code's version, readiness fails and the API answers 503. */
  readonly schema: SchemaGate;
}

export interface WebappContext extends ApiContext {
  /** Closes every connection; runs every step even when one fails. Idempotent. */
  close(): Promise<void>;
}

/** Connects to Postgres and Redis and builds the parts the routes use. */
export async function createWebappContext(
  config: WebappConfig,
  logger: Logger,
  registry: Registry = new Registry(),
): Promise<WebappContext> {
  const keys = redisKeys(config.prefix);
  const pool = createPool(config.databaseUrl, logger.child({ component: 'postgres' }), 20);
  const redisOptions = { url: config.redisUrl, password: config.redisPassword };
  const redisLog = logger.child({ component: 'redis' });
  const redis = createRedis({ ...redisOptions, role: 'request', name: 'webapp' }, redisLog);
  const queueConnection = createRedis({ ...redisOptions, role: 'blocking', name: 'webapp-queue' }, redisLog);
  const subscriber = createRedis({ ...redisOptions, role: 'blocking', name: 'webapp-events' }, redisLog);
  const languages = new LanguageDirectory(redis, keys);
  const queues = new PoolQueues(queueConnection, config.prefix, languages, logger);
  const queue = queues.defaultQueue;
  const enqueuer = new Enqueuer(queues, queueConnection, logger.child({ component: 'enqueuer' }));
  const hub = await NoticeHub.start(subscriber, keys.eventsChannel, logger.child({ component: 'notices' }));
  const monitor = new QueueMonitor(queues, redis, keys, logger.child({ component: 'queue-monitor' }));
  await monitor.started();
  const schema = new SchemaGate(pool, logger.child({ component: 'schema' }));
  // One look now: a database already migrated (or one this role may migrate) serves at once.
  await schema.check();
  const ctx: ApiContext = {
    config,
    logger,
    pool,
    redis,
    keys,
    queue,
    queues,
    enqueuer,
    store: new SubmissionStore(pool, { outageBudgetMs: config.outageBudgetMs }),
    hub,
    languages,
    monitor,
    apiKeys: new ApiKeys(pool, redis, keys, {
      mode: config.auth,
      defaultRatePerMinute: config.rateLimitPerMinute,
      outageBudgetMs: config.outageBudgetMs,
    }),
    registry,
    metrics: createWebappMetrics(registry, {
      clusterStats: () => monitor.stats,
      waitingRequests: () => hub.waiting,
      pool,
    }),
    lifecycle: new WebappLifecycle(logger.child({ component: 'lifecycle' })),
    schema,
  };
  let closing: Promise<void> | undefined;
  return {
    ...ctx,
    close() {
      // The parts first, then the connections this function created and handed to them.
      closing ??= runCloseSteps(
        [
          ['schema gate', () => schema.close()],
          ['enqueuer', () => enqueuer.close()],
          ['queue monitor', () => monitor.close()],
          ['notice hub', () => hub.close()],
          ['queues', () => queues.close()],
          ['event subscriber', () => subscriber.quit().catch(() => subscriber.disconnect())],
          ['queue redis', () => queueConnection.quit()],
          ['redis', () => redis.quit()],
          ['postgres', () => pool.end()],
        ],
        logger,
      );
      return closing;
    },
  };
}
