import type { Redis } from 'ioredis';
import type { Logger } from '../../common/logger.js';
import { DEFAULT_POOL, poolQueueName } from '../../common/pools.js';
import { createSubmissionQueue, type SubmissionQueue } from '../../common/queue.js';
import type { LanguageDirectory } from './languages.js';

/**
 * The submission queues of the executor pools, one BullMQ queue per pool on one connection, opened as
 * pools appear. A submission goes to the queue of a running pool that has its language (one queue per
 * pool rather than one shared queue that executors filter: BullMQ hands a worker the next job whatever
 * it holds, so a shared queue would hand jobs to executors that must put them back; docs/architecture.md).
 */
export class PoolQueues {
  private readonly queues = new Map<string, SubmissionQueue>();
  /** The default pool's queue, where `npm start`'s executor and manifests without pools take jobs. */
  readonly defaultQueue: SubmissionQueue;

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly directory: LanguageDirectory,
    private readonly logger: Logger,
  ) {
    this.defaultQueue = this.named(poolQueueName(DEFAULT_POOL));
  }

  /** The queue named `name`, opened once. */
  named(name: string): SubmissionQueue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = createSubmissionQueue(this.connection, this.prefix, name);
      queue.on('error', (error) => this.logger.warn({ err: error, queue: name }, 'queue error'));
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** The queue of the pool that runs `languageId` now; undefined while no running pool has it. */
  async forLanguage(languageId: string): Promise<SubmissionQueue | undefined> {
    const name = await this.directory.queueFor(languageId);
    return name === undefined ? undefined : this.named(name);
  }

  /** The queues of the running pools, and the default pool's. */
  async current(): Promise<SubmissionQueue[]> {
    for (const pool of await this.directory.pools()) this.named(pool.queue);
    return [...this.queues.values()];
  }

  /** Takes a submission's job off whichever pool's queue holds it. */
  async remove(id: string): Promise<void> {
    await Promise.all((await this.current()).map((queue) => queue.remove(id).catch(() => 0)));
  }

  /** Finds a submission's job in whichever pool's queue holds it. */
  async getJob(id: string): Promise<Awaited<ReturnType<SubmissionQueue['getJob']>>> {
    for (const queue of await this.current()) {
      const job = await queue.getJob(id);
      if (job) return job;
    }
    return undefined;
  }

  /** Closes every queue; the connection belongs to the caller. Idempotent. */
  async close(): Promise<void> {
    const queues = [...this.queues.values()];
    await Promise.all(queues.map((queue) => queue.close().catch(() => undefined)));
  }
}
