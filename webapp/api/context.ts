import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { WebappConfig } from '../../common/config.js';
import type { RedisKeys } from '../../common/keys.js';
import type { Logger } from '../../common/logger.js';
import type { SubmissionQueue } from '../../common/queue.js';
import type { SubmissionStore } from '../../common/submissions-store.js';
import type { WebappLifecycle } from '../lifecycle.js';
import type { ApiKeys } from './api-keys.js';
import type { Enqueuer } from './enqueuer.js';
import type { LanguageDirectory } from './languages.js';
import type { NoticeHub } from './notices.js';
import type { PoolQueues } from './pool-queues.js';
import type { QueueMonitor } from './queue-monitor.js';

/** Everything the routes use, built once by the entry file (or a test) and passed in. */
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
  /** Readiness fails once this leaves `serving`. */
  readonly lifecycle: WebappLifecycle;
}
