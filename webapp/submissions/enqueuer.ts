import type { Redis } from 'ioredis';
import type { Logger } from '../../common/logger.js';
import { enqueueSubmission } from '../../common/queue.js';
import type { SubmissionSpec } from '../../common/submission.js';
import type { PoolQueues } from '../pools/queues.js';

export interface EnqueuerOptions {
  /** How long a submission's request waits for its job to be added before deferring it. Default 1 s. */
  readonly addWaitMs?: number;
  /** Pause before another flush when one failed with Redis still connected. Default 1 s. */
  readonly retryMs?: number;
}

/** A job to add: the submission, the language that picks its pool's queue, and its spec when inline. */
interface PendingJob {
  readonly language: string;
  readonly spec: SubmissionSpec | undefined;
}

/**
 * Puts submission jobs on the queue of a pool that runs their language, and keeps those it could not add (Redis down or restarting) until
 * the queue's connection is ready again, then adds them at once rather than at the sweeper's next pass.
 * The submission's row is already stored, so a deferred one is accepted, not refused. Adding a job twice
 * is harmless (the job id is the submission id, and the executor's claim runs a submission once), which
 * is what makes a deferred add that also completes late safe. A submission whose language no running
 * pool has is left in Postgres too: the sweeper enqueues it once a pool with the language runs.
 */
export class Enqueuer {
  private readonly backlog = new Map<string, PendingJob>();
  private flushing: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly addWaitMs: number;
  private readonly retryMs: number;
  private readonly onReady = (): void => void this.flush();

  constructor(
    private readonly queues: PoolQueues,
    private readonly connection: Redis,
    private readonly logger: Logger,
    options: EnqueuerOptions = {},
  ) {
    this.addWaitMs = options.addWaitMs ?? 1_000;
    this.retryMs = options.retryMs ?? 1_000;
    connection.on('ready', this.onReady);
  }

  /** Submissions accepted whose job waits for Redis. */
  get deferred(): number {
    return this.backlog.size;
  }

  /**
   * Adds the job; resolves true when it is on the queue, false when it was deferred (Redis away) or no
   * running pool has the language. Never rejects.
   */
  async enqueue(id: string, language: string, spec?: SubmissionSpec): Promise<boolean> {
    const job: PendingJob = { language, spec };
    if (this.connection.status !== 'ready') {
      this.defer(id, job);
      return false;
    }
    const added = this.add(id, job).then(
      (queued) => {
        if (!queued)
          this.logger.warn({ id, language }, 'no running pool has this language; left to the sweeper');
        return queued;
      },
      (error: unknown) => {
        this.logger.warn({ err: error, id }, 'enqueue failed; deferred until Redis answers');
        return false;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.addWaitMs);
    });
    const ok = await Promise.race([added, late]).finally(() => clearTimeout(timer));
    if (!ok) this.defer(id, job);
    return ok;
  }

  /** Resolves false when no running pool has the language (nothing added). */
  private async add(id: string, job: PendingJob): Promise<boolean> {
    const queue = await this.queues.forLanguage(job.language);
    if (!queue) return false;
    await enqueueSubmission(queue, id, job.spec);
    return true;
  }

  /** Drops a deferred job whose submission was deleted; true when there was one. */
  forget(id: string): boolean {
    return this.backlog.delete(id);
  }

  private defer(id: string, job: PendingJob): void {
    if (this.closed) return;
    if (this.backlog.size === 0) this.logger.warn('Redis unavailable: new submissions wait in Postgres');
    this.backlog.set(id, job);
    // Redis may have come back between the failure and now, with its ready event already gone by.
    if (this.connection.status === 'ready') this.scheduleRetry();
  }

  /** Adds every deferred job while the connection is ready; concurrent calls share one pass. */
  flush(): Promise<void> {
    this.flushing ??= this.pass().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async pass(): Promise<void> {
    let added = 0;
    for (const [id, job] of [...this.backlog]) {
      if (this.closed || this.connection.status !== 'ready') return;
      try {
        // No running pool for it: the row waits in Postgres for the sweeper.
        await this.add(id, job);
      } catch (error) {
        this.logger.warn({ err: error, deferred: this.backlog.size }, 'deferred enqueue failed; will retry');
        this.scheduleRetry();
        return;
      }
      this.backlog.delete(id);
      added++;
    }
    if (added > 0) this.logger.info({ added }, 'deferred submissions enqueued');
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flush();
    }, this.retryMs);
    this.retryTimer.unref();
  }

  /**
   * Stops adding. Deferred submissions stay queued in Postgres, where the sweeper of any webapp finds
   * them. Idempotent.
   */
  close(): Promise<void> {
    this.closed = true;
    this.connection.off('ready', this.onReady);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    // A pass in progress is not awaited: its add may wait for a Redis that does not come back.
    return Promise.resolve();
  }
}
