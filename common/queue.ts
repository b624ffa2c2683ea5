import { Queue } from 'bullmq';
import type { JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { SUBMISSION_QUEUE } from './keys.js';
import type { SubmissionJobData, SubmissionSpec } from './submission.js';

export type SubmissionQueue = Queue<SubmissionJobData, void, 'run'>;

/** The queue of one executor pool (`poolQueueName`); by default the default pool's. */
export function createSubmissionQueue(
  connection: Redis,
  prefix: string,
  name: string = SUBMISSION_QUEUE,
): SubmissionQueue {
  return new Queue<SubmissionJobData, void, 'run'>(name, { connection, prefix });
}

/**
 * Options of every submission job. The job id is the submission id, so adding a job twice (a retry, the
 * sweep) is harmless. A job that throws (Redis or Postgres trouble, not a failing program) is retried.
 */
export function jobOptions(id: string): JobsOptions {
  return {
    jobId: id,
    attempts: 3,
    backoff: { type: 'fixed', delay: 500 },
    removeOnComplete: true,
    removeOnFail: { age: 3_600 },
  };
}

/** Queues a submission; with its spec when given, so the executor can start before reading the row. */
export async function enqueueSubmission(
  queue: SubmissionQueue,
  id: string,
  spec?: SubmissionSpec,
): Promise<void> {
  await queue.add('run', spec === undefined ? { id } : { id, spec }, jobOptions(id));
}

export interface QueueStats {
  /** Jobs waiting for an executor. */
  readonly depth: number;
  /** Jobs an executor holds. */
  readonly active: number;
  /** Age of the oldest waiting job, 0 when none waits. */
  readonly oldestAgeSeconds: number;
}

export async function readQueueStats(queue: SubmissionQueue, now = Date.now()): Promise<QueueStats> {
  const counts = await queue.getJobCounts('wait', 'prioritized', 'active');
  const depth = (counts.wait ?? 0) + (counts.prioritized ?? 0);
  let oldestAgeSeconds = 0;
  if (depth > 0) {
    // Ascending order lists the oldest waiting job first.
    const [oldest] = await queue.getJobs(['wait'], 0, 0, true);
    if (oldest) oldestAgeSeconds = Math.max(0, (now - oldest.timestamp) / 1000);
  }
  return { depth, active: counts.active ?? 0, oldestAgeSeconds };
}
