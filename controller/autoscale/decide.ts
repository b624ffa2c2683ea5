/**
 * The autoscaling decision: a pure function from a policy, the current replica count, what each check
 * read and a little remembered history to the replica count to ask for, with the reason. It never talks
 * to Docker, Redis or Prometheus, so every tricky case is a row in its table test.
 *
 * Order of the steps (docs/autoscaling.md walks through them):
 * 1. each check recommends a count (activation decides for a service at zero);
 * 2. the safest wins: out if any check says out, in only if every check says in and none failed;
 * 3. after `fallback.after` evaluations in a row with a failed check, at least the fallback count;
 * 4. stabilization: the lowest recommendation of the scale-up window, the highest of the scale-down
 *    window;
 * 5. step limits per period in each direction;
 * 6. min and max.
 */
import type { AutoscalePolicy, CheckPolicy, DirectionPolicy } from './policy.js';

/** The RemCode queue as read in one atomic step. */
export interface QueueSample {
  readonly waiting: number;
  readonly prioritized: number;
  readonly active: number;
  /** Delayed jobs that fall due within the evaluation interval. */
  readonly dueDelayed: number;
  /** Age of the oldest waiting job, 0 when none waits. */
  readonly oldestWaitingMs: number;
  /** Slots the live executors announce per replica; undefined when none is alive. */
  readonly slotsPerReplica: number | undefined;
}

export type Reading =
  | { readonly status: 'ok'; readonly value: number; readonly queue?: QueueSample }
  /** The source answered with nothing (an empty Prometheus vector): unknown, never zero. */
  | { readonly status: 'no_data'; readonly message: string }
  | { readonly status: 'error'; readonly message: string };

export interface CheckOutcome {
  readonly name: string;
  readonly source: CheckPolicy['source'];
  readonly status: Reading['status'];
  readonly value: number | undefined;
  /** Undefined when the check failed: a failed check recommends nothing. */
  readonly recommendation: number | undefined;
  readonly message: string;
}

export interface AutoscaleMemory {
  /** Combined recommendations, newest last, kept as long as the longer stabilization window. */
  readonly recommendations: readonly { readonly at: number; readonly replicas: number }[];
  /** Applied changes, newest last, kept as long as the longer step period. */
  readonly changes: readonly { readonly at: number; readonly from: number; readonly to: number }[];
  /** Evaluations in a row in which at least one check failed. */
  readonly failures: number;
}

export const EMPTY_MEMORY: AutoscaleMemory = { recommendations: [], changes: [], failures: 0 };

export type Mode = 'active' | 'paused' | 'held' | 'dry_run';
export type Direction = 'up' | 'down' | 'none';

export interface Evaluation {
  readonly at: number;
  readonly current: number;
  readonly checks: readonly CheckOutcome[];
  /** After step 2 and 3. */
  readonly recommendation: number;
  readonly stabilized: number;
  readonly limited: number;
  /** The count to ask for; equals `current` unless `apply` is true (or in dry-run, what would be asked). */
  readonly desired: number;
  readonly direction: Direction;
  readonly mode: Mode;
  /** True when the caller should set replicas to `desired`. */
  readonly apply: boolean;
  readonly fallback: boolean;
  readonly failures: number;
  readonly reason: string;
}

export interface DecideInput {
  readonly policy: AutoscalePolicy;
  readonly current: number;
  /** By check name; a check without a reading counts as failed. */
  readonly readings: ReadonlyMap<string, Reading>;
  readonly memory: AutoscaleMemory;
  readonly now: number;
  /** Set when the service must not be touched now (its rolling update is paused or rolling back). */
  readonly hold?: string | undefined;
  /**
   * A count the service must not go below for a reason outside the policy (no executor has published
   * its languages yet, so the webapp could not accept the submission that would wake it). Max still wins.
   */
  readonly floor?: { readonly replicas: number; readonly reason: string } | undefined;
}

function withinTolerance(ratio: number, tolerance: number): boolean {
  return Math.abs(ratio - 1) <= tolerance;
}

function queueRecommendation(
  check: Extract<CheckPolicy, { source: 'queue' }>,
  sample: QueueSample,
  current: number,
  tolerance: number,
): { replicas: number; message: string } {
  const load = sample.waiting + sample.prioritized + sample.active + sample.dueDelayed;
  const perReplica = check.perReplica ?? sample.slotsPerReplica ?? 1;
  const needed = Math.ceil(load / perReplica);
  if (current === 0) {
    return load >= check.activation
      ? {
          replicas: Math.max(1, needed),
          message: `${load} jobs wake the service (activation ${check.activation})`,
        }
      : { replicas: 0, message: `${load} jobs, below activation ${check.activation}` };
  }
  let replicas = withinTolerance(load / (current * perReplica), tolerance) ? current : needed;
  let message = `${load} jobs at ${perReplica} per replica`;
  const queued = sample.waiting + sample.prioritized;
  if (check.maxWaitMs !== undefined && queued > 0 && sample.oldestWaitingMs > check.maxWaitMs) {
    replicas = Math.max(replicas, current + 1);
    message += `; oldest waited ${Math.round(sample.oldestWaitingMs)}ms > ${check.maxWaitMs}ms`;
  }
  return { replicas, message };
}

function valueRecommendation(
  check: Extract<CheckPolicy, { source: 'prometheus' }>,
  value: number,
  current: number,
  tolerance: number,
): { replicas: number; message: string } {
  if (current === 0) {
    return value > check.activation
      ? { replicas: 1, message: `${value} above activation ${check.activation}` }
      : { replicas: 0, message: `${value}, not above activation ${check.activation}` };
  }
  const mode = check.mode;
  if (mode.kind === 'target') {
    const ratio = value / mode.target;
    if (withinTolerance(ratio, tolerance))
      return { replicas: current, message: `${value} within tolerance of target ${mode.target}` };
    return { replicas: Math.ceil(current * ratio), message: `${value} against target ${mode.target}` };
  }
  if (mode.upper !== undefined && value > mode.upper)
    return { replicas: current + 1, message: `${value} above ${mode.upper}` };
  if (mode.lower !== undefined && value < mode.lower)
    return { replicas: current - 1, message: `${value} below ${mode.lower}` };
  return { replicas: current, message: `${value} between the thresholds` };
}

function evaluateCheck(
  check: CheckPolicy,
  reading: Reading | undefined,
  current: number,
  tolerance: number,
): CheckOutcome {
  const base = { name: check.name, source: check.source };
  if (reading === undefined)
    return { ...base, status: 'error', value: undefined, recommendation: undefined, message: 'not read' };
  if (reading.status !== 'ok')
    return {
      ...base,
      status: reading.status,
      value: undefined,
      recommendation: undefined,
      message: reading.message,
    };
  if (!Number.isFinite(reading.value)) {
    return {
      ...base,
      status: 'no_data',
      value: undefined,
      recommendation: undefined,
      message: `the value ${reading.value} is not a number`,
    };
  }
  let result;
  if (check.source === 'queue') {
    if (!reading.queue)
      return {
        ...base,
        status: 'error',
        value: reading.value,
        recommendation: undefined,
        message: 'no queue sample',
      };
    result = queueRecommendation(check, reading.queue, current, tolerance);
  } else {
    result = valueRecommendation(check, reading.value, current, tolerance);
  }
  return {
    ...base,
    status: 'ok',
    value: reading.value,
    recommendation: Math.max(0, result.replicas),
    message: result.message,
  };
}

/** Step 2: out if any says out; in only when all say in and none failed; else stay. */
function combine(outcomes: readonly CheckOutcome[], current: number): { replicas: number; reason: string } {
  const answered = outcomes.flatMap((o) => (o.recommendation === undefined ? [] : [o.recommendation]));
  const failed = outcomes.filter((o) => o.recommendation === undefined).map((o) => o.name);
  if (answered.length === 0) return { replicas: current, reason: 'no check answered; holding' };
  const highest = Math.max(...answered);
  if (highest > current) {
    const by = outcomes.find((o) => o.recommendation === highest);
    return { replicas: highest, reason: `scale out to ${highest}: ${by?.name ?? ''} ${by?.message ?? ''}` };
  }
  if (failed.length > 0) {
    return { replicas: current, reason: `holding: ${failed.join(', ')} failed, so no scale-in` };
  }
  if (answered.every((r) => r < current)) {
    return { replicas: highest, reason: `every check agrees on scale-in; the least reduction is ${highest}` };
  }
  return { replicas: current, reason: 'steady' };
}

function stepRoom(policy: DirectionPolicy, base: number, used: number): number {
  const allowed = Math.max(1, policy.maxReplicas, Math.floor((base * policy.maxPercent) / 100));
  return Math.max(0, allowed - used);
}

export function decide(input: DecideInput): { evaluation: Evaluation; memory: AutoscaleMemory } {
  const { policy, current, memory, now } = input;
  const checks = policy.checks.map((check) =>
    evaluateCheck(check, input.readings.get(check.name), current, policy.tolerance),
  );
  const anyFailed = checks.some((c) => c.recommendation === undefined);
  const failures = anyFailed ? memory.failures + 1 : 0;
  let { replicas: recommendation, reason } = combine(checks, current);
  const fallback = policy.fallback !== undefined && failures >= policy.fallback.after;
  if (fallback && policy.fallback && policy.fallback.replicas > recommendation) {
    recommendation = policy.fallback.replicas;
    reason = `${failures} failed evaluations in a row: fallback to ${recommendation}`;
  }

  // Step 4: a window of zero keeps only this evaluation's recommendation.
  const keepMs = Math.max(policy.scaleUp.stabilizationMs, policy.scaleDown.stabilizationMs);
  const recommendations = [
    ...memory.recommendations.filter((r) => r.at > now - keepMs),
    { at: now, replicas: recommendation },
  ];
  const inWindow = (windowMs: number) =>
    recommendations.filter((r) => r.at === now || r.at > now - windowMs).map((r) => r.replicas);
  const upFloor = Math.min(...inWindow(policy.scaleUp.stabilizationMs));
  const downCeiling = Math.max(...inWindow(policy.scaleDown.stabilizationMs));
  let stabilized = current;
  if (upFloor > current) stabilized = upFloor;
  else if (downCeiling < current) stabilized = downCeiling;
  if (stabilized !== recommendation) reason += `; stabilized to ${stabilized}`;

  // Step 5: count what already moved in this period, so a period's limit is not reset every interval.
  const keepChangesMs = Math.max(policy.scaleUp.periodMs, policy.scaleDown.periodMs);
  const changes = memory.changes.filter((c) => c.at > now - keepChangesMs);
  const moved = (direction: 1 | -1, periodMs: number): number =>
    changes
      .filter((c) => c.at > now - periodMs && Math.sign(c.to - c.from) === direction)
      .reduce((sum, c) => sum + Math.abs(c.to - c.from), 0);
  let limited = stabilized;
  if (stabilized > current) {
    const added = moved(1, policy.scaleUp.periodMs);
    limited = Math.min(stabilized, current + stepRoom(policy.scaleUp, current - added, added));
  } else if (stabilized < current) {
    const removed = moved(-1, policy.scaleDown.periodMs);
    limited = Math.max(stabilized, current - stepRoom(policy.scaleDown, current + removed, removed));
  }
  if (limited !== stabilized) reason += `; step limit allows ${limited}`;

  // Step 6.
  let bounded = Math.min(policy.max, Math.max(policy.min, limited));
  if (bounded !== limited) reason += `; bounded to ${bounded}`;
  if (input.floor && bounded < Math.min(input.floor.replicas, policy.max)) {
    bounded = Math.min(input.floor.replicas, policy.max);
    reason += `; at least ${bounded}: ${input.floor.reason}`;
  }
  const direction: Direction = bounded > current ? 'up' : bounded < current ? 'down' : 'none';

  let mode: Mode = 'active';
  if (policy.paused) mode = 'paused';
  else if (input.hold !== undefined) mode = 'held';
  else if (policy.dryRun) mode = 'dry_run';
  if (mode === 'paused') reason = `paused (would be ${bounded}: ${reason})`;
  if (mode === 'held') reason = `held: ${input.hold ?? ''} (would be ${bounded})`;
  if (mode === 'dry_run') reason = `dry run: ${reason}`;
  const apply = mode === 'active' && direction !== 'none';

  const evaluation: Evaluation = {
    at: now,
    current,
    checks,
    recommendation,
    stabilized,
    limited,
    desired: mode === 'active' || mode === 'dry_run' ? bounded : current,
    direction,
    mode,
    apply,
    fallback,
    failures,
    reason,
  };
  return {
    evaluation,
    memory: {
      recommendations,
      changes: apply ? [...changes, { at: now, from: current, to: bounded }] : changes,
      failures,
    },
  };
}
