import { describe, expect, it } from 'vitest';
import { conditionsOf } from './conditions.js';
import { judgeJob, jobStanding, type JobTask } from './job.js';

let clock = 0;
function task(state: string, iteration: number | undefined = 1, extra: Partial<JobTask> = {}): JobTask {
  clock++;
  return {
    id: `task${String(clock).padStart(12, '0')}`,
    iteration,
    state,
    error: undefined,
    exitCode: undefined,
    at: `2026-12-07T10:00:${String(clock).padStart(2, '0')}Z`,
    ...extra,
  };
}
const failed = (iteration = 1): JobTask =>
  task('failed', iteration, { exitCode: 1, error: 'task: non-zero exit (1)' });

describe('judgeJob', () => {
  it.each([
    { name: 'no task yet: pending', tasks: [], max: 3, state: 'pending', failures: 0 },
    { name: 'a task on its way', tasks: [task('preparing')], max: 3, state: 'running', failures: 0 },
    { name: 'a task that exited 0', tasks: [task('complete')], max: 3, state: 'complete', failures: 0 },
    {
      name: 'completed after two failures',
      tasks: [failed(), failed(), task('complete')],
      max: 3,
      state: 'complete',
      failures: 2,
    },
    {
      name: 'a failure waiting for its restart is still running, not failed',
      tasks: [failed()],
      max: 3,
      state: 'running',
      failures: 1,
    },
    {
      name: 'a failure and its restart under way',
      tasks: [failed(), task('starting')],
      max: 3,
      state: 'running',
      failures: 1,
    },
    {
      name: 'the first task and every restart the policy allows failed',
      tasks: [failed(), failed(), failed(), failed()],
      max: 3,
      state: 'failed',
      failures: 4,
    },
    {
      name: 'no limit: never given up',
      tasks: [failed(), failed(), failed(), failed(), failed()],
      max: 0,
      state: 'running',
      failures: 5,
    },
    {
      name: 'an earlier run that completed does not make a new run complete',
      tasks: [task('complete', 1), task('running', 2)],
      max: 3,
      state: 'running',
      failures: 0,
      iteration: 2,
    },
    {
      name: "an earlier run's failures do not count against a new run",
      tasks: [failed(1), failed(1), failed(1), failed(1), task('complete', 2)],
      max: 3,
      state: 'complete',
      failures: 0,
      iteration: 2,
    },
    {
      name: 'a new run with no task of its own yet is pending, whatever the last run did',
      tasks: [task('complete', 1)],
      max: 3,
      state: 'pending',
      failures: 0,
      iteration: 2,
    },
    {
      name: 'a rejected task (no such image) counts as failed',
      tasks: [task('rejected', 1, { error: 'No such image: x:1' }), task('rejected', 1), task('rejected', 1)],
      max: 2,
      state: 'failed',
      failures: 3,
    },
  ])('$name', ({ tasks, max, state, failures, iteration }) => {
    const run = judgeJob(iteration ?? 1, tasks, max);
    expect(run.state).toBe(state);
    expect(run.failures).toHaveLength(failures);
  });

  it("names each failure by its task, exit code and Swarm's error", () => {
    const run = judgeJob(
      1,
      [task('failed', 1, { id: 'abcdef0123456789', exitCode: 78, error: 'non-zero exit (78)' })],
      3,
    );
    expect(run.failures).toEqual(['abcdef012345: exit code 78: non-zero exit (78)']);
  });
});

describe('jobStanding', () => {
  it('reports a completed run as Ready, a failed one as Stalled with its last failure', () => {
    const done = conditionsOf(jobStanding(judgeJob(1, [failed(), task('complete')], 3)), 4);
    expect(done).toEqual([expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Succeeded' })]);
    const given = jobStanding(judgeJob(1, [failed(), failed()], 1));
    expect(conditionsOf(given, 4)).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'False', reason: 'JobFailed' }),
      expect.objectContaining({ type: 'Stalled', status: 'True', reason: 'JobFailed' }),
    ]);
    expect(given.message).toMatch(
      /failed: 2 of 2 attempts failed, the last: task\d+: exit code 1: task: non-zero exit \(1\)/,
    );
  });

  it('reports a run retrying after a failure as Reconciling, naming the failure', () => {
    const standing = jobStanding(judgeJob(1, [failed(), task('running')], 3));
    expect(standing).toMatchObject({ kind: 'reconciling', reason: 'Progressing' });
    expect(standing.message).toContain('retrying: 1 of 2 attempts failed');
  });
});
