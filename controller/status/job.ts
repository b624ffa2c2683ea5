/**
 * How one run of a job service stands, judged from Swarm's tasks of its current iteration: Swarm runs
 * a job again (a new iteration) each time its spec is updated, and keeps the tasks of earlier runs.
 * Pure, so every case is a table row in its test.
 */
import type { Standing } from './conditions.js';

/** One task of a job service, as the engine reports it. */
export interface JobTask {
  readonly id: string;
  /** The run it belongs to (`JobIteration.Index`); undefined on an engine that does not say. */
  readonly iteration: number | undefined;
  /** `Status.State`: new … running, complete, failed, rejected, shutdown, orphaned. */
  readonly state: string;
  /** `Status.Err`: Swarm's reason for a failed or rejected task. */
  readonly error: string | undefined;
  readonly exitCode: number | undefined;
  /** `Status.Timestamp` (ISO 8601). */
  readonly at: string;
}

export type JobState = 'pending' | 'running' | 'complete' | 'failed';

export interface JobRun {
  /** The run judged: the service's `JobStatus.JobIteration.Index`. */
  readonly iteration: number;
  readonly state: JobState;
  /** Tasks started for this run. */
  readonly attempts: number;
  /** Failed tasks of this run, each as `taskId: exit code N: error`, oldest first. */
  readonly failures: readonly string[];
  /** When the run completed, for `complete`. */
  readonly completedAt: string | undefined;
}

const FAILED: ReadonlySet<string> = new Set(['failed', 'rejected', 'orphaned']);
/** States a task leaves for good; any other is on its way to running, or running. */
const ENDED: ReadonlySet<string> = new Set([...FAILED, 'complete', 'shutdown', 'remove']);

function describeFailure(task: JobTask): string {
  const parts = [task.id.slice(0, 12)];
  if (task.exitCode !== undefined) parts.push(`exit code ${task.exitCode}`);
  parts.push(task.error ?? task.state);
  return parts.join(': ');
}

/**
 * The run of `iteration`, from every task of the service. `maxAttempts` is the restart policy's: after
 * a first failed task Swarm starts up to that many more (0: no limit), then the run has failed.
 */
export function judgeJob(iteration: number, tasks: readonly JobTask[], maxAttempts: number): JobRun {
  const mine = tasks
    .filter((task) => task.iteration === undefined || task.iteration === iteration)
    .sort((a, b) => a.at.localeCompare(b.at));
  const failures = mine.filter((task) => FAILED.has(task.state)).map(describeFailure);
  const done = mine.find((task) => task.state === 'complete');
  const base = { iteration, attempts: mine.length, failures };
  if (done) return { ...base, state: 'complete', completedAt: done.at };
  if (mine.some((task) => !ENDED.has(task.state)))
    return { ...base, state: 'running', completedAt: undefined };
  // No task under way: before the first one, between a failure and its restart, or given up.
  if (failures.length === 0) return { ...base, state: 'pending', completedAt: undefined };
  const givenUp = maxAttempts > 0 && failures.length > maxAttempts;
  return { ...base, state: givenUp ? 'failed' : 'running', completedAt: undefined };
}

/** The run as the conditions every service reports (controller/status/conditions.ts). */
export function jobStanding(run: JobRun): Standing {
  const last = run.failures[run.failures.length - 1];
  const tried = `${run.failures.length} of ${run.attempts} attempts failed, the last: ${last ?? ''}`;
  switch (run.state) {
    case 'complete':
      return {
        kind: 'ready',
        message: `job run ${run.iteration} completed at ${run.completedAt ?? '?'} (attempt ${run.attempts})`,
      };
    case 'pending':
      return { kind: 'reconciling', reason: 'Progressing', message: `job run ${run.iteration} starting` };
    case 'running':
      return {
        kind: 'reconciling',
        reason: 'Progressing',
        message:
          run.failures.length === 0
            ? `job run ${run.iteration} running (attempt ${run.attempts})`
            : `job run ${run.iteration} retrying: ${tried}`,
      };
    case 'failed':
      return {
        kind: 'stalled',
        reason: 'JobFailed',
        message: `job run ${run.iteration} failed: ${tried}; it runs again when its spec changes (or docker service update --force)`,
      };
  }
}
