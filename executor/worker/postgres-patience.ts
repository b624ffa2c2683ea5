import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../common/logger.js';
import { classifyOutage } from '../../common/outage.js';
import type { Claim, SubmissionStore } from '../../common/submissions-store.js';
import { StopSignal, type StopReason } from './stop.js';

/** Waits between claims of a row that is not there yet (its insert was still committing). */
const CLAIM_RETRY_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000];
/** A job older than this whose row is missing was deleted, not slow to arrive. */
const CLAIM_PATIENCE_MS = 10_000;
/** Longest pause between attempts while Postgres is away. */
const OUTAGE_RETRY_MAX_MS = 2_000;

/**
 * Runs a statement again for as long as Postgres is away: a program that ran must not run again
 * because its claim or its result could not be written (the job would be retried, or the submission
 * swept up and run anew). The job's lock lives in Redis, so waiting here keeps the job ours meanwhile.
 * Only a stop (a shutdown whose grace ran out, a cancel) gives up.
 */
export async function outlastOutage<T>(
  operation: () => Promise<T>,
  signal: AbortSignal,
  log: Logger,
  what: string,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const value = await operation();
      if (attempt > 0) log.info({ attempts: attempt + 1 }, `${what} after the outage`);
      return value;
    } catch (error) {
      const kind = classifyOutage(error);
      if (kind === undefined) throw error;
      if (signal.aborted) throw new StopSignal(signal.reason as StopReason);
      if (attempt === 0) log.warn({ kind }, `${what}: waiting for Postgres`);
      await sleep(Math.min(OUTAGE_RETRY_MAX_MS, 100 * 2 ** attempt));
    }
  }
}

/**
 * Claims the row of a job that carries its submission. The webapp queues such a job while it inserts
 * the row, so the first claim can come before the insert is visible: a missing row is tried again for
 * a while, a row in another state (finished, cancelled) is not ours at once.
 */
export async function claimOnceInserted(
  store: SubmissionStore,
  id: string,
  executor: string,
  enqueuedAt: number,
  signal: AbortSignal,
  log: Logger,
): Promise<Claim | undefined> {
  // The claim can come after the run (a submission whose judge started no program): waiting out an
  // outage here is what keeps that run from being repeated.
  const claim = (): Promise<Claim | undefined> =>
    outlastOutage(() => store.claim(id, executor), signal, log, 'claimed');
  for (let attempt = 0; ; attempt++) {
    const claimed = await claim();
    if (claimed) return claimed;
    // The row may have been committed since that claim: one more claim tells.
    if (await outlastOutage(() => store.exists(id), signal, log, 'row found')) return claim();
    const wait = CLAIM_RETRY_MS[attempt];
    if (wait === undefined || Date.now() - enqueuedAt > CLAIM_PATIENCE_MS) return undefined;
    await sleep(wait);
  }
}
