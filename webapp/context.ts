import { Registry } from 'prom-client';
import type { WebappConfig } from '../common/config.js';
import { createPool } from '../common/db.js';
import { redisKeys } from '../common/keys.js';
import { runCloseSteps } from '../common/lifecycle/close-steps.js';
import type { Logger } from '../common/logger.js';
import { createRedis } from '../common/redis.js';
import { SubmissionStore } from '../common/submissions-store.js';
import { ApiKeys } from './api/api-keys.js';
import { Enqueuer } from './api/enqueuer.js';
import type { ApiContext } from './api/context.js';
import { WebappLifecycle } from './lifecycle.js';
import { LanguageDirectory } from './api/languages.js';
import { NoticeHub } from './api/notices.js';
import { PoolQueues } from './api/pool-queues.js';
import { QueueMonitor } from './api/queue-monitor.js';

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
    lifecycle: new WebappLifecycle(logger.child({ component: 'lifecycle' })),
  };
  let closing: Promise<void> | undefined;
  return {
    ...ctx,
    close() {
      // The parts first, then the connections this function created and handed to them.
      closing ??= runCloseSteps(
        [
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
