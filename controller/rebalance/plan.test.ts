import { describe, expect, it } from 'vitest';
import { autoscalerBusy, type AutoscaleActivity } from './guard.js';
import {
  EMPTY_SERVICE_MEMORY,
  afterMisplacement,
  afterMove,
  constraintMatcher,
  decide,
  judgeMove,
  moveDidItsPart,
  moveSteps,
  placementHelps,
  movesNeeded,
  scaleDownHosts,
  type DecideInput,
  type Decision,
  type MoveVerdict,
  type NodeView,
  type ServiceView,
  type TaskView,
} from './plan.js';
import { insideWindow, parseRebalancePolicy, rebalanceIssues, type RebalancePolicy } from './policy.js';

function node(hostname: string, overrides: Partial<NodeView> = {}): NodeView {
  return {
    id: `id-${hostname}`,
    hostname,
    role: hostname === 'm1' ? 'manager' : 'worker',
    state: 'ready',
    availability: 'active',
    labels: {},
    engineLabels: {},
    platform: { os: 'linux', arch: 'x86_64' },
    ...overrides,
  };
}

const NODES = [node('m1'), node('w1'), node('w2')];

/** Running tasks from a spread like { m1: 3, w1: 3 }, plus tasks in other states when given. */
function tasks(spread: Record<string, number>, others: Partial<TaskView>[] = []): TaskView[] {
  const out: TaskView[] = [];
  for (const [hostname, count] of Object.entries(spread)) {
    for (let i = 0; i < count; i++) {
      out.push({
        id: `${hostname}-${i}`,
        nodeId: `id-${hostname}`,
        state: 'running',
        desiredState: 'running',
      });
    }
  }
  others.forEach((task, i) =>
    out.push({ id: `other-${i}`, nodeId: 'id-w2', state: 'running', desiredState: 'running', ...task }),
  );
  return out;
}

function service(spread: Record<string, number>, overrides: Partial<ServiceView> = {}): ServiceView {
  const running = Object.values(spread).reduce((a, b) => a + b, 0);
  return {
    name: 'web',
    replicas: running,
    constraints: [],
    maxPerNode: 0,
    updateState: undefined,
    tasks: tasks(spread),
    ...overrides,
  };
}

const NOON = Date.UTC(2026, 11, 6, 12, 0);

function policy(overrides: Partial<RebalancePolicy> = {}): RebalancePolicy {
  return { ...parseRebalancePolicy(undefined), ...overrides };
}

function run(overrides: Partial<DecideInput> & { service: ServiceView }): Decision {
  return decide({ nodes: NODES, policy: policy(), memory: EMPTY_SERVICE_MEMORY, now: NOON, ...overrides });
}

describe('skew over the nodes a service may use', () => {
  const cases: Array<{
    name: string;
    input: Partial<DecideInput> & { service: ServiceView };
    kind: Decision['kind'];
    skew?: number;
    moves?: number;
    from?: string;
    to?: string;
    reason?: RegExp;
  }> = [
    {
      name: 'six tasks stuck on two of three nodes need two moves, fullest to emptiest',
      input: { service: service({ m1: 3, w1: 3 }) },
      kind: 'move',
      skew: 3,
      moves: 2,
      from: 'm1',
      to: 'w2',
    },
    {
      name: 'an even spread is left alone',
      input: { service: service({ m1: 2, w1: 2, w2: 2 }) },
      kind: 'balanced',
      skew: 0,
    },
    {
      name: 'a spread within max_skew is left alone',
      input: { service: service({ m1: 3, w1: 2, w2: 1 }), policy: policy({ maxSkew: 2 }) },
      kind: 'balanced',
      skew: 2,
    },
    {
      name: 'fewer tasks than nodes: one per node at most is balanced',
      input: { service: service({ m1: 1, w1: 1 }) },
      kind: 'balanced',
      skew: 1,
    },
    {
      name: 'a drained node is not a destination and does not count',
      input: {
        service: service({ m1: 3, w1: 3 }),
        nodes: [node('m1'), node('w1'), node('w2', { availability: 'drain' })],
      },
      kind: 'balanced',
      skew: 0,
    },
    {
      name: 'a paused node takes no new task, so it is not a destination',
      input: {
        service: service({ m1: 4, w1: 2 }),
        nodes: [node('m1'), node('w1'), node('w2', { availability: 'pause' })],
      },
      kind: 'move',
      skew: 2,
      moves: 1,
      from: 'm1',
      to: 'w1',
    },
    {
      name: 'a node that is down is neither source nor destination',
      input: {
        service: service({ m1: 3, w1: 3 }),
        nodes: [node('m1'), node('w1'), node('w2', { state: 'down' })],
      },
      kind: 'balanced',
      skew: 0,
    },
    {
      name: 'a constraint to workers leaves the manager out of the spread',
      input: { service: service({ w1: 4 }, { constraints: ['node.role == worker'] }) },
      kind: 'move',
      skew: 4,
      moves: 2,
      from: 'w1',
      to: 'w2',
    },
    {
      name: 'a label constraint picks only the labelled nodes',
      input: {
        service: service({ m1: 2, w1: 2 }, { constraints: ['node.labels.zone==a'] }),
        nodes: [node('m1', { labels: { zone: 'a' } }), node('w1', { labels: { zone: 'a' } }), node('w2')],
      },
      kind: 'balanced',
      skew: 0,
    },
    {
      name: 'max_replicas_per_node limits the moves to the room the emptiest node has',
      input: { service: service({ m1: 4, w1: 0, w2: 0 }, { maxPerNode: 1 }) },
      kind: 'move',
      skew: 4,
      moves: 2,
      to: 'w1',
    },
    {
      name: 'no room anywhere under max_replicas_per_node: hold instead of looping',
      input: {
        service: service({ m1: 3, w1: 1 }, { maxPerNode: 1 }),
        nodes: [node('m1'), node('w1')],
      },
      kind: 'hold',
      skew: 2,
      reason: /no eligible node has room/,
    },
    {
      name: 'a constraint we cannot evaluate skips the service rather than guess',
      input: { service: service({ m1: 6 }, { constraints: ['node.platform.kernel ~= 6'] }) },
      kind: 'skip',
      reason: /cannot evaluate/,
    },
    {
      name: 'a global service is skipped',
      input: { service: service({ m1: 1, w1: 1, w2: 1 }, { replicas: undefined }) },
      kind: 'skip',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const decision = run(c.input);
      expect(decision.kind, decision.reason).toBe(c.kind);
      if (c.skew !== undefined) expect(decision.skew).toBe(c.skew);
      if (c.moves !== undefined) expect(decision.moves).toBe(c.moves);
      if (c.from !== undefined) expect(decision.from).toBe(c.from);
      if (c.to !== undefined) expect(decision.to).toBe(c.to);
      if (c.reason) expect(decision.reason).toMatch(c.reason);
    });
  }
});

describe('when the rebalancer holds back', () => {
  const skewed = service({ m1: 3, w1: 3 });
  const cases: Array<{
    name: string;
    input: Partial<DecideInput> & { service: ServiceView };
    reason: RegExp;
  }> = [
    {
      name: 'while a task is still starting the service is not settled',
      input: { service: { ...skewed, tasks: tasks({ m1: 3, w1: 2 }, [{ state: 'starting' }]) } },
      reason: /not settled/,
    },
    {
      name: 'while fewer tasks run than desired (Swarm is still replacing those of a lost node)',
      input: { service: { ...skewed, replicas: 7 } },
      reason: /6 of 7 tasks running/,
    },
    {
      name: 'during a rolling update',
      input: { service: { ...skewed, updateState: 'updating' } },
      reason: /rolling update is updating/,
    },
    {
      name: 'while the autoscaler is acting on the service',
      input: { service: skewed, busy: 'the autoscaler changed replicas 5 s ago' },
      reason: /autoscaler/,
    },
    {
      name: 'while the count differs from the file (an extra task left by a controller killed mid-move)',
      input: { service: skewed, fileReplicas: 5 },
      reason: /the count is 6, the file says 5/,
    },
    {
      name: 'within the interval after the last move',
      input: { service: skewed, memory: { lastMoveAt: NOON - 4_000, noProgressUntil: undefined } },
      reason: /rate limit: next move in 6 s/,
    },
    {
      name: 'after a move that did not improve the spread',
      input: { service: skewed, memory: { lastMoveAt: NOON - 60_000, noProgressUntil: NOON + 30_000 } },
      reason: /did not improve/,
    },
    {
      name: 'outside its window',
      input: {
        service: skewed,
        policy: policy({ mode: 'window', window: { startMinute: 2 * 60, endMinute: 4 * 60 } }),
      },
      reason: /outside the window 02:00-04:00 UTC/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const decision = run(c.input);
      expect(decision.kind).toBe('hold');
      expect(decision.reason).toMatch(c.reason);
      // The spread is still reported, so /status shows why a held service looks uneven.
      expect(decision.skew).toBe(3);
    });
  }

  it('moves again once the interval has passed', () => {
    const decision = run({
      service: skewed,
      memory: { lastMoveAt: NOON - 10_000, noProgressUntil: undefined },
    });
    expect(decision.kind).toBe('move');
  });

  it('moves inside a window that wraps midnight', () => {
    const window = { startMinute: 22 * 60, endMinute: 2 * 60 };
    const at = Date.UTC(2026, 11, 6, 23, 30);
    expect(run({ service: skewed, now: at, policy: policy({ mode: 'window', window }) }).kind).toBe('move');
    expect(insideWindow(window, Date.UTC(2026, 11, 7, 1, 59))).toBe(true);
    expect(insideWindow(window, Date.UTC(2026, 11, 7, 2, 0))).toBe(false);
  });

  it('mode off skips the service even when it is skewed', () => {
    expect(run({ service: skewed, policy: policy({ mode: 'off' }) }).kind).toBe('skip');
  });

  it('dry run reports the move it would make and makes none', () => {
    const decision = run({ service: skewed, policy: policy({ dryRun: true }) });
    expect(decision.kind).toBe('would-move');
    expect(decision.reason).toMatch(/^dry run: skew 3 over 1: 2 move\(s\), next m1 -> w2/);
  });
});

describe('moves', () => {
  const cases: Array<[counts: number[], maxSkew: number, maxPerNode: number, moves: number]> = [
    [[3, 3, 0], 1, 0, 2],
    [[6, 0, 0], 1, 0, 4],
    [[2, 2, 2], 1, 0, 0],
    [[3, 3, 0, 0], 1, 0, 2],
    [[5, 0], 2, 0, 2],
    [[4, 0, 0], 1, 1, 2],
    [[1, 1, 0], 1, 0, 0],
    [[], 1, 0, 0],
  ];
  it.each(cases)(
    '%j within skew %i, max %i per node, takes %i move(s)',
    (counts, maxSkew, maxPerNode, moves) => {
      expect(movesNeeded(counts, maxSkew, maxPerNode)).toBe(moves);
    },
  );

  it('a move scales up first, judges the placement, and comes back to the desired count only after the extra task runs', () => {
    expect(moveSteps(6)).toEqual([
      { kind: 'scale', replicas: 7 },
      { kind: 'check-placement' },
      { kind: 'wait-running', replicas: 7 },
      { kind: 'scale', replicas: 6 },
      { kind: 'wait-running', replicas: 6 },
    ]);
    // Never below the desired count at any step.
    const counts = moveSteps(6).flatMap((step) => ('replicas' in step ? [step.replicas] : []));
    expect(Math.min(...counts)).toBe(6);
  });

  const placements: Array<[perNode: Record<string, number>, placed: string | undefined, helps: boolean]> = [
    [{ a: 3, b: 3, c: 0 }, 'c', true],
    [{ a: 3, b: 3, c: 0 }, 'a', false],
    // The case a full run hit: 2-1-3 with the extra task on the node holding 2 becomes 3-1-3 and the
    // scale-down takes one of the two 3s: no closer.
    [{ a: 2, b: 1, c: 3 }, 'a', false],
    [{ a: 2, b: 1, c: 3 }, 'b', true],
    // 3-2-1: one below the top is a tie after the placement; Swarm may remove the extra task itself.
    [{ a: 3, b: 2, c: 1 }, 'b', false],
    [{ a: 3, b: 2, c: 1 }, 'c', true],
    [{ a: 6, b: 0 }, 'b', true],
    // A node the service may not use (drained, not matching a constraint), or none assigned.
    [{ a: 3, b: 3, c: 0 }, 'elsewhere', false],
    [{ a: 3, b: 3, c: 0 }, undefined, false],
  ];
  it.each(placements)('%j with the extra task on %s helps: %s', (perNode, placed, helps) => {
    expect(placementHelps(perNode, placed, 1, 0)).toBe(helps);
  });

  const scaleDowns: Array<[perNode: Record<string, number>, placed: string | undefined, hosts: string[]]> = [
    // 3-3-0 with the extra task on c: the scale-down may take from either full node.
    [{ a: 3, b: 3, c: 0 }, 'c', ['a', 'b']],
    [{ a: 4, b: 1, c: 1 }, 'b', ['a']],
    // The placed node counts its extra task: a tie with the top makes it a candidate too.
    [{ a: 2, b: 1 }, 'b', ['a', 'b']],
    // Not placed on a node the service may use: the counts as they are.
    [{ a: 3, b: 1 }, 'elsewhere', ['a']],
    [{ a: 3, b: 1 }, undefined, ['a']],
    [{}, 'a', []],
  ];
  it.each(scaleDowns)(
    'the scale-down after %j with the extra task on %s takes from %j',
    (perNode, placed, hosts) => {
      expect(scaleDownHosts(perNode, placed)).toEqual(hosts);
    },
  );

  const parts: Array<
    [perNode: Record<string, number>, placed: string | undefined, removed: string | undefined, did: boolean]
  > = [
    // 1-0-2 with the extra task on b and one removed from c: the move did its part, whatever else
    // happened to the spread meanwhile.
    [{ a: 1, b: 0, c: 2 }, 'b', 'c', true],
    // Removed from the node that just got the extra task, or from one that was not the fullest: no.
    [{ a: 1, b: 0, c: 2 }, 'b', 'b', false],
    [{ a: 1, b: 0, c: 2 }, 'b', 'a', false],
    // Nothing known of either end: no.
    [{ a: 1, b: 0, c: 2 }, undefined, 'c', false],
    [{ a: 1, b: 0, c: 2 }, 'b', undefined, false],
  ];
  it.each(parts)(
    'a move on %j placed on %s, removed from %s, did its part: %s',
    (perNode, placed, removed, did) => {
      expect(moveDidItsPart(perNode, placed, removed)).toBe(did);
    },
  );

  const verdicts: Array<
    [
      what: string,
      move: { movesBefore: number; movesAfter: number; placed?: string; removed?: string },
      verdict: MoveVerdict,
    ]
  > = [
    ['closer, whatever Swarm removed', { movesBefore: 2, movesAfter: 1, placed: 'b' }, 'moved'],
    [
      'no closer after doing its part',
      { movesBefore: 1, movesAfter: 1, placed: 'b', removed: 'c' },
      'retry-soon',
    ],
    // The scale-down took a task the move did not begin with (a replacement started meanwhile): the
    // rebalancer cannot blame the scheduler for that, and the cause passes.
    ['no closer, the removed task untraced', { movesBefore: 1, movesAfter: 1, placed: 'b' }, 'retry-soon'],
    ['no closer, nothing known of either end', { movesBefore: 1, movesAfter: 1 }, 'retry-soon'],
    [
      'defeated: Swarm took from the node that got the task',
      { movesBefore: 1, movesAfter: 1, placed: 'b', removed: 'b' },
      'back-off',
    ],
    [
      'defeated: Swarm took from a node that was not fullest',
      { movesBefore: 1, movesAfter: 1, placed: 'b', removed: 'a' },
      'back-off',
    ],
    ['worse, and defeated', { movesBefore: 1, movesAfter: 2, placed: 'c', removed: 'a' }, 'back-off'],
  ];
  it.each(verdicts)('a move that is %s is judged %j', (_what, move, verdict) => {
    expect(judgeMove({ perNode: { a: 1, b: 0, c: 2 }, placed: undefined, removed: undefined, ...move })).toBe(
      verdict,
    );
  });

  it('a misplaced extra task is tried again soon, then less and less often', () => {
    let memory = EMPTY_SERVICE_MEMORY;
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      memory = afterMisplacement(memory, NOON, NOON, 10_000, 60_000);
      waits.push((memory.noProgressUntil ?? NOON) - NOON);
    }
    expect(waits).toEqual([10_000, 20_000, 40_000, 60_000, 60_000, 60_000, 60_000]);
    // A move that lands where it helps starts the count again.
    expect(afterMove(2, 1, NOON, NOON, 60_000).misplacements).toBeUndefined();
  });

  it('a move that brought the service no closer backs off; one that did does not', () => {
    expect(afterMove(2, 2, NOON, NOON + 5_000, 60_000)).toEqual({
      lastMoveAt: NOON,
      noProgressUntil: NOON + 65_000,
    });
    expect(afterMove(2, 1, NOON, NOON + 5_000, 60_000)).toEqual({
      lastMoveAt: NOON,
      noProgressUntil: undefined,
    });
  });
});

describe('constraints and policy', () => {
  it('reads the constraint forms Swarm accepts, case-insensitively', () => {
    const manager = node('m1', { labels: { zone: 'A' }, engineLabels: { disk: 'ssd' } });
    const yes = ['node.role==manager', 'node.role != worker', 'node.hostname==M1', 'node.labels.zone==a'];
    for (const expression of [
      ...yes,
      'engine.labels.disk==ssd',
      'node.platform.os==linux',
      'node.id==id-m1',
    ]) {
      expect(constraintMatcher(expression)?.(manager), expression).toBe(true);
    }
    expect(constraintMatcher('node.labels.zone==b')?.(manager)).toBe(false);
    expect(constraintMatcher('node.labels.missing!=x')?.(manager)).toBe(true);
    expect(constraintMatcher('node.role')).toBeUndefined();
  });

  it('fills every default in one place', () => {
    expect(parseRebalancePolicy(undefined)).toEqual({
      mode: 'automatic',
      maxSkew: 1,
      window: undefined,
      intervalMs: 10_000,
      healthTimeoutMs: 120_000,
      dryRun: false,
    });
    expect(
      parseRebalancePolicy({ mode: 'window', window: { start: '22:30', end: '02:00' }, interval: '1m' }),
    ).toMatchObject({ mode: 'window', window: { startMinute: 1350, endMinute: 120 }, intervalMs: 60_000 });
  });

  it('names the mistakes the schema cannot see', () => {
    const missing = rebalanceIssues({ mode: 'window' });
    expect(missing.map((issue) => issue.path)).toEqual(['window']);
    expect(missing[0]?.message).toMatch(/needs a window/);
    expect(rebalanceIssues({ window: { start: '01:00', end: '02:00' } })[0]?.message).toMatch(
      /only with mode: window/,
    );
    expect(rebalanceIssues({ mode: 'window', window: { start: '01:00', end: '01:00' } })[0]?.path).toBe(
      'window/end',
    );
    expect(rebalanceIssues({ mode: 'automatic', max_skew: 2 })).toEqual([]);
  });
});

describe('the autoscaler guard', () => {
  const quiet = { service: 'executor', scaleIn: undefined, evaluations: [] };
  const cases: Array<[name: string, activity: AutoscaleActivity[], busy: RegExp | undefined]> = [
    ['a service without an autoscale policy is never busy', [], undefined],
    ['an autoscaled service that has not changed is free', [quiet], undefined],
    [
      'a scale-in retiring executors holds the rebalancer off',
      [{ ...quiet, scaleIn: { from: 4 } }],
      /retiring executors/,
    ],
    [
      "the rebalancer's own retirement (a move's scale-down) does not hold it off",
      [{ ...quiet, scaleIn: { from: 4, by: 'rebalancer' } }],
      undefined,
    ],
    [
      "the autoscaler's own, named, does",
      [{ ...quiet, scaleIn: { from: 4, by: 'autoscaler' } }],
      /retiring executors/,
    ],
    [
      'a count changed 10 s ago holds it off',
      [{ ...quiet, evaluations: [{ at: NOON - 10_000, apply: true }] }],
      /changed its replicas 10 s ago/,
    ],
    [
      'a count changed 40 s ago no longer does',
      [
        {
          ...quiet,
          evaluations: [
            { at: NOON - 2_000, apply: false },
            { at: NOON - 40_000, apply: true },
          ],
        },
      ],
      undefined,
    ],
  ];
  it.each(cases)('%s', (_name, activity, busy) => {
    const reason = autoscalerBusy(activity, 'executor', NOON);
    if (busy) expect(reason).toMatch(busy);
    else expect(reason).toBeUndefined();
  });
});
