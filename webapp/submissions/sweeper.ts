import type { Logger } from '../../common/logger.js';
import { enqueueSubmission } from '../../common/queue.js';
import type { SubmissionStore } from '../../common/submissions-store.js';
import type { PoolQueues } from '../pools/queues.js';

/** Rows queued for less than this may still be on their way to the queue. */
const ORPHAN_AGE_MS = 5_000;
/** Longer than any run can take (the wall-time maximum times the test cases, plus compiling). */
const STUCK_RUNNING_MS = 30 * 60_000;

/**
 * Periodic repair: a row inserted but never enqueued (the webapp died in between), left running with
 * no job behind it (Redis lost its data), or whose job failed without storing a result, is enqueued
 * again; finished submissions past the retention age
 * are deleted.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  private followUp: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: SubmissionStore,
    private readonly queues: PoolQueues,
    private readonly logger: Logger,
    private readonly retentionMs: number,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => void this.sweep(), intervalMs);
    this.timer.unref();
  }

  /** One pass; concurrent calls share the pass in progress. */
  sweep(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /**
   * Redis answers again after an outage. A webapp that died while Redis was away (killed, restarted)
   * took its deferred jobs with it; their rows wait in Postgres. Every webapp sweeps at once rather
   * than at its next interval, and again once rows accepted in the outage's last seconds are old
   * enough to count as orphans. A row whose own webapp still lives is enqueued by both: the job id is
   * the submission id, so the second add is a no-op.
   */
  afterOutage(): void {
    if (!this.timer) return;
    void this.sweep();
    if (this.followUp) return;
    this.followUp = setTimeout(() => {
      this.followUp = undefined;
      void this.sweep();
    }, ORPHAN_AGE_MS + 1_000);
    this.followUp.unref();
  }

  private async pass(): Promise<void> {
    try {
      let requeued = 0;
      const waiting = new Set<string>();
      for (const { id, language } of await this.store.stale(ORPHAN_AGE_MS, STUCK_RUNNING_MS)) {
        const job = await this.queues.getJob(id);
        // A failed job (kept an hour for inspection) would hide its row until it expires: its attempts
        // ran out while Redis or Postgres was away, and the row shows its result was never stored.
        if (job && !(await job.isFailed())) continue;
        const queue = await this.queues.forLanguage(language);
        // No pool has its language (its pool is gone, or at zero without being parked): the row waits.
        if (!queue) {
          waiting.add(language);
          continue;
        }
        if (job) await job.remove();
        await enqueueSubmission(queue, id);
        requeued++;
      }
      if (requeued > 0) this.logger.warn({ requeued }, 'orphaned submissions enqueued again');
      if (waiting.size > 0)
        this.logger.warn(
          { languages: [...waiting] },
          'submissions wait for a running pool with their language',
        );
      const deleted = await this.store.deleteFinishedBefore(this.retentionMs);
      if (deleted > 0) this.logger.info({ deleted }, 'retention: old submissions deleted');
    } catch (error) {
      this.logger.warn({ err: error }, 'sweep failed; will retry');
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.followUp) clearTimeout(this.followUp);
    this.followUp = undefined;
    await this.running;
  }
}
