import { describe, expect, it } from 'vitest';
import { EMPTY_MEMORY, decide, type Evaluation, type Reading } from './decide.js';
import type { AutoscalePolicy, CheckPolicy } from './policy.js';

const queueCheck: CheckPolicy = {
  name: 'queue',
  source: 'queue',
  perReplica: 4,
  maxWaitMs: undefined,
  activation: 1,
};
const latencyCheck: CheckPolicy = {
  name: 'latency',
  source: 'prometheus',
  query: 'q',
  url: undefined,
  mode: { kind: 'target', target: 100 },
  activation: 0,
};

function policy(overrides: Partial<AutoscalePolicy> = {}): AutoscalePolicy {
  return {
    min: 1,
    max: 10,
    intervalMs: 2_000,
    tolerance: 0.1,
    scaleUp: { stabilizationMs: 0, maxReplicas: 100, maxPercent: 0, periodMs: 15_000 },
    scaleDown: { stabilizationMs: 10_000, maxReplicas: 100, maxPercent: 0, periodMs: 15_000 },
    fallback: undefined,
    paused: false,
    dryRun: false,
    checks: [queueCheck],
    ...overrides,
  };
}

/** A queue reading of `waiting` jobs, with the other states given when the case needs them. */
function queue(
  waiting: number,
  extra: Partial<NonNullable<Extract<Reading, { status: 'ok' }>['queue']>> = {},
) {
  const sample = {
    waiting,
    prioritized: 0,
    active: 0,
    dueDelayed: 0,
    oldestWaitingMs: 0,
    slotsPerReplica: 4,
    ...extra,
  };
  const value = sample.waiting + sample.prioritized + sample.active + sample.dueDelayed;
  return { status: 'ok', value, queue: sample } as const satisfies Reading;
}
const value = (v: number): Reading => ({ status: 'ok', value: v });
const empty: Reading = { status: 'no_data', message: 'the query returned no series' };
const down: Reading = { status: 'error', message: 'connect ECONNREFUSED 127.0.0.1:6379' };

interface Step {
  /** Seconds since the start. */
  readonly t: number;
  readonly readings: Record<string, Reading>;
  readonly hold?: string;
  readonly floor?: { replicas: number; reason: string };
}

/** Runs the steps against a service that does what each evaluation asks; returns every evaluation. */
function simulate(p: AutoscalePolicy, start: number, steps: readonly Step[]): Evaluation[] {
  let current = start;
  let memory = EMPTY_MEMORY;
  const out: Evaluation[] = [];
  for (const step of steps) {
    const result = decide({
      policy: p,
      current,
      readings: new Map(Object.entries(step.readings)),
      memory,
      now: step.t * 1_000,
      hold: step.hold,
      floor: step.floor,
    });
    memory = result.memory;
    if (result.evaluation.apply) current = result.evaluation.desired;
    out.push(result.evaluation);
  }
  return out;
}

/** The same reading every two seconds from `from` to `to` seconds. */
function every2s(from: number, to: number, readings: Record<string, Reading>): Step[] {
  const steps: Step[] = [];
  for (let t = from; t <= to; t += 2) steps.push({ t, readings });
  return steps;
}

const replicasAfter = (evaluations: readonly Evaluation[]): number[] =>
  evaluations.map((e) => (e.apply ? e.desired : e.current));

const directionChanges = (series: readonly number[]): number => {
  let changes = 0;
  let last = 0;
  for (let i = 1; i < series.length; i++) {
    const sign = Math.sign((series[i] ?? 0) - (series[i - 1] ?? 0));
    if (sign !== 0 && sign !== last) {
      if (last !== 0) changes++;
      last = sign;
    }
  }
  return changes;
};

describe('decide', () => {
  const cases: Array<{
    name: string;
    policy: AutoscalePolicy;
    start: number;
    steps: Step[];
    replicas: number[];
    reason?: RegExp;
  }> = [
    {
      name: 'a spike scales out at once, limited by the step limit per period',
      policy: policy({ scaleUp: { stabilizationMs: 0, maxReplicas: 4, maxPercent: 100, periodMs: 15_000 } }),
      start: 1,
      steps: [
        { t: 0, readings: { queue: queue(40) } },
        { t: 2, readings: { queue: queue(40) } },
        { t: 16, readings: { queue: queue(40) } },
        { t: 32, readings: { queue: queue(40) } },
      ],
      // +4 (the larger of 4 replicas and 100 % of 1), nothing more in that period, then +5 (100 % of 5).
      replicas: [5, 5, 10, 10],
    },
    {
      name: 'a slow ramp adds replicas as the load grows',
      policy: policy(),
      start: 1,
      steps: [4, 8, 12, 16, 20].map((load, i) => ({ t: i * 2, readings: { queue: queue(load) } })),
      replicas: [1, 2, 3, 4, 5],
    },
    {
      name: 'oscillating load scales out once and does not flap inside the scale-down window',
      policy: policy(),
      start: 1,
      steps: Array.from({ length: 8 }, (_, i) => ({
        t: i * 2,
        readings: { queue: queue(i % 2 === 0 ? 40 : 0) },
      })),
      replicas: [10, 10, 10, 10, 10, 10, 10, 10],
    },
    {
      name: 'the queue drained, replicas return to the minimum once the scale-down window has passed',
      policy: policy(),
      start: 1,
      steps: [{ t: 0, readings: { queue: queue(40) } }, ...every2s(2, 12, { queue: queue(0) })],
      // The 40-job recommendation at t=0 stays in the 10 s window until t=10.
      replicas: [10, 10, 10, 10, 10, 1, 1],
    },
    {
      name: 'a missing reading never scales in',
      policy: policy({ checks: [queueCheck, latencyCheck] }),
      start: 5,
      steps: every2s(0, 20, { queue: queue(0) }),
      replicas: Array<number>(11).fill(5),
      reason: /latency failed, so no scale-in/,
    },
    {
      name: 'a failed check does not stop another check from scaling out',
      policy: policy({ checks: [queueCheck, latencyCheck] }),
      start: 2,
      steps: [{ t: 0, readings: { queue: queue(24), latency: down } }],
      replicas: [6],
    },
    {
      name: 'an empty Prometheus answer is no data, not zero',
      policy: policy({ checks: [latencyCheck] }),
      start: 5,
      steps: every2s(0, 20, { latency: empty }),
      replicas: Array<number>(11).fill(5),
      reason: /no check answered/,
    },
    {
      name: 'Redis down holds the count',
      policy: policy(),
      start: 3,
      steps: every2s(0, 20, { queue: down }),
      replicas: Array<number>(11).fill(3),
    },
    {
      name: 'the count stays within max',
      policy: policy(),
      start: 1,
      steps: [{ t: 0, readings: { queue: queue(1_000) } }],
      replicas: [10],
      reason: /bounded to 10/,
    },
    {
      name: 'the count stays within min',
      policy: policy({
        min: 2,
        scaleDown: { stabilizationMs: 0, maxReplicas: 100, maxPercent: 0, periodMs: 1 },
      }),
      start: 6,
      steps: [{ t: 0, readings: { queue: queue(0) } }],
      replicas: [2],
    },
    {
      name: 'a count outside new bounds moves inside at once',
      policy: policy({ min: 3 }),
      start: 1,
      steps: [{ t: 0, readings: { queue: queue(0) } }],
      replicas: [3],
    },
    {
      name: 'no change inside the tolerance band, a change beyond it',
      policy: policy({ min: 1, max: 20 }),
      start: 10,
      steps: [
        { t: 0, readings: { queue: queue(43) } },
        { t: 2, readings: { queue: queue(46) } },
      ],
      replicas: [10, 12],
    },
    {
      name: 'the scale-up window ignores a spike shorter than the window',
      policy: policy({
        scaleUp: { stabilizationMs: 4_000, maxReplicas: 100, maxPercent: 0, periodMs: 15_000 },
      }),
      start: 1,
      steps: [
        { t: 0, readings: { queue: queue(4) } },
        { t: 2, readings: { queue: queue(40) } },
        { t: 4, readings: { queue: queue(4) } },
        { t: 6, readings: { queue: queue(40) } },
        { t: 8, readings: { queue: queue(40) } },
      ],
      // Scales out only when every recommendation of the last 4 s asks for more.
      replicas: [1, 1, 1, 1, 10],
    },
    {
      name: 'both windows: up after the up window, down after the down window',
      policy: policy({
        scaleUp: { stabilizationMs: 3_000, maxReplicas: 100, maxPercent: 0, periodMs: 15_000 },
        scaleDown: { stabilizationMs: 6_000, maxReplicas: 100, maxPercent: 0, periodMs: 15_000 },
      }),
      start: 1,
      steps: [
        { t: 0, readings: { queue: queue(4) } },
        { t: 2, readings: { queue: queue(20) } },
        { t: 4, readings: { queue: queue(20) } },
        ...every2s(6, 14, { queue: queue(4) }),
      ],
      replicas: [1, 1, 5, 5, 5, 1, 1, 1],
    },
    {
      name: 'scale-down removes at most its step per period',
      policy: policy({ scaleDown: { stabilizationMs: 0, maxReplicas: 2, maxPercent: 0, periodMs: 10_000 } }),
      start: 8,
      steps: every2s(0, 22, { queue: queue(0) }),
      replicas: [6, 6, 6, 6, 6, 4, 4, 4, 4, 4, 2, 2],
    },
    {
      name: 'a percent limit applies to the count at the start of the period',
      policy: policy({ scaleDown: { stabilizationMs: 0, maxReplicas: 0, maxPercent: 50, periodMs: 10_000 } }),
      start: 8,
      steps: every2s(0, 10, { queue: queue(0) }),
      replicas: [4, 4, 4, 4, 4, 2],
    },
    {
      name: 'a service at zero stays there below the activation, and wakes at it',
      policy: policy({ min: 0, checks: [{ ...queueCheck, activation: 3 }] }),
      start: 0,
      steps: [
        { t: 0, readings: { queue: queue(0) } },
        { t: 2, readings: { queue: queue(2) } },
        { t: 4, readings: { queue: queue(3) } },
      ],
      replicas: [0, 0, 1],
    },
    {
      name: 'the first job wakes a service at zero',
      policy: policy({ min: 0 }),
      start: 0,
      steps: [{ t: 0, readings: { queue: queue(1) } }],
      replicas: [1],
      reason: /wake/,
    },
    {
      name: 'an idle service goes to zero after the window',
      policy: policy({ min: 0 }),
      start: 1,
      steps: [{ t: 0, readings: { queue: queue(1) } }, ...every2s(2, 12, { queue: queue(0) })],
      replicas: [1, 1, 1, 1, 1, 0, 0],
    },
    {
      name: 'a floor from outside the policy keeps one replica until the executors have announced themselves',
      policy: policy({
        min: 0,
        scaleDown: { stabilizationMs: 0, maxReplicas: 100, maxPercent: 0, periodMs: 1 },
      }),
      start: 1,
      steps: [
        { t: 0, readings: { queue: queue(0) }, floor: { replicas: 1, reason: 'no languages published yet' } },
        { t: 2, readings: { queue: queue(0) } },
      ],
      replicas: [1, 0],
      reason: /at least 1: no languages published yet/,
    },
    {
      name: 'after N failed evaluations in a row the fallback applies',
      policy: policy({ fallback: { after: 3, replicas: 4 } }),
      start: 1,
      steps: every2s(0, 6, { queue: down }),
      replicas: [1, 1, 4, 4],
      reason: /fallback to 4/,
    },
    {
      name: 'a fallback below the current count never scales in',
      policy: policy({ fallback: { after: 1, replicas: 2 } }),
      start: 8,
      steps: every2s(0, 20, { queue: down }),
      replicas: Array<number>(11).fill(8),
    },
    {
      name: 'one good answer resets the failure count',
      policy: policy({ fallback: { after: 3, replicas: 4 } }),
      start: 1,
      steps: [
        { t: 0, readings: { queue: down } },
        { t: 2, readings: { queue: down } },
        { t: 4, readings: { queue: queue(4) } },
        { t: 6, readings: { queue: down } },
        { t: 8, readings: { queue: down } },
      ],
      replicas: [1, 1, 1, 1, 1],
    },
    {
      name: 'a paused policy evaluates and changes nothing',
      policy: policy({ paused: true }),
      start: 1,
      steps: [{ t: 0, readings: { queue: queue(40) } }],
      replicas: [1],
      reason: /^paused \(would be 10/,
    },
    {
      name: 'a service whose update is paused or rolling back is held',
      policy: policy(),
      start: 1,
      steps: [{ t: 0, readings: { queue: queue(40) }, hold: 'its rolling update is paused' }],
      replicas: [1],
      reason: /^held: its rolling update is paused \(would be 10\)/,
    },
    {
      name: 'dry run reports the target and changes nothing',
      policy: policy({ dryRun: true }),
      start: 1,
      steps: every2s(0, 4, { queue: queue(40) }),
      replicas: [1, 1, 1],
      reason: /^dry run: scale out to 10: queue 40 jobs/,
    },
    {
      name: 'running, prioritized and due delayed jobs count as load, so capacity does not leave too early',
      policy: policy({ scaleDown: { stabilizationMs: 0, maxReplicas: 100, maxPercent: 0, periodMs: 1 } }),
      start: 4,
      steps: [{ t: 0, readings: { queue: queue(0, { active: 8, prioritized: 4, dueDelayed: 4 }) } }],
      replicas: [4],
    },
    {
      name: 'an old waiting job asks for one more replica even when the count fits',
      policy: policy({ checks: [{ ...queueCheck, maxWaitMs: 5_000 }] }),
      start: 2,
      steps: [
        { t: 0, readings: { queue: queue(8, { oldestWaitingMs: 1_000 }) } },
        { t: 2, readings: { queue: queue(8, { oldestWaitingMs: 6_000 }) } },
      ],
      replicas: [2, 3],
    },
    {
      name: "the executors' announced slots set the target when the policy sets none",
      policy: policy({ checks: [{ ...queueCheck, perReplica: undefined }] }),
      start: 1,
      steps: [{ t: 0, readings: { queue: queue(16, { slotsPerReplica: 2 }) } }],
      replicas: [8],
    },
    {
      name: 'a Prometheus target value scales in proportion',
      policy: policy({ checks: [latencyCheck] }),
      start: 2,
      steps: [{ t: 0, readings: { latency: value(250) } }],
      replicas: [5],
    },
    {
      name: 'Prometheus thresholds add or remove one replica',
      policy: policy({
        checks: [{ ...latencyCheck, mode: { kind: 'thresholds', lower: 10, upper: 50 } }],
        scaleDown: { stabilizationMs: 0, maxReplicas: 100, maxPercent: 0, periodMs: 1 },
      }),
      start: 3,
      steps: [
        { t: 0, readings: { latency: value(60) } },
        { t: 2, readings: { latency: value(30) } },
        { t: 4, readings: { latency: value(5) } },
      ],
      replicas: [4, 4, 3],
    },
    {
      name: 'scale-in waits until every check agrees, then takes the least reduction',
      policy: policy({
        checks: [queueCheck, latencyCheck],
        scaleDown: { stabilizationMs: 0, maxReplicas: 100, maxPercent: 0, periodMs: 1 },
      }),
      start: 6,
      steps: [
        { t: 0, readings: { queue: queue(0), latency: value(100) } },
        { t: 2, readings: { queue: queue(0), latency: value(50) } },
      ],
      replicas: [6, 3],
    },
    {
      name: 'a value that is not a number counts as no data',
      policy: policy({ checks: [latencyCheck] }),
      start: 4,
      steps: [{ t: 0, readings: { latency: value(Number.NaN) } }],
      replicas: [4],
    },
  ];

  it.each(cases)('$name', ({ policy: p, start, steps, replicas, reason }) => {
    const evaluations = simulate(p, start, steps);
    expect(replicasAfter(evaluations)).toEqual(replicas);
    if (reason) expect(evaluations.map((e) => e.reason).join('\n')).toMatch(reason);
  });

  it('changes direction at most once per load change when load oscillates for minutes', () => {
    // Load flips between 40 and 0 jobs every 6 s for 5 minutes, with the default 60 s window.
    const p = policy({
      scaleDown: { stabilizationMs: 60_000, maxReplicas: 100, maxPercent: 0, periodMs: 15_000 },
    });
    const steps: Step[] = [];
    for (let t = 0; t <= 300; t += 2)
      steps.push({ t, readings: { queue: queue(Math.floor(t / 6) % 2 === 0 ? 40 : 0) } });
    steps.push(...every2s(302, 400, { queue: queue(0) }));
    const series = [1, ...replicasAfter(simulate(p, 1, steps))];
    expect(Math.max(...series)).toBe(10);
    expect(series.at(-1)).toBe(1);
    expect(directionChanges(series)).toBe(1);
  });

  it('records every check, the combined recommendation and the failures', () => {
    const [evaluation] = simulate(policy({ checks: [queueCheck, latencyCheck] }), 2, [
      { t: 0, readings: { queue: queue(12), latency: empty } },
    ]);
    expect(evaluation).toMatchObject({
      current: 2,
      recommendation: 3,
      desired: 3,
      direction: 'up',
      mode: 'active',
      apply: true,
      failures: 1,
      checks: [
        { name: 'queue', status: 'ok', value: 12, recommendation: 3 },
        { name: 'latency', status: 'no_data', value: undefined, recommendation: undefined },
      ],
    });
  });
});
