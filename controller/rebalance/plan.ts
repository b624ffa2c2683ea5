/**
 * The rebalancer's pure half: from the nodes, one service's tasks and its policy, how unevenly the
 * running tasks sit on the nodes the service may use, and whether to move one of them now. A move is
 * always the same small step (scale up by one so the scheduler places a task on the emptiest node,
 * wait until it runs healthy, scale back down so the orchestrator removes one from the fullest), which
 * never leaves fewer healthy tasks than desired and touches only surplus tasks.
 */
import { insideWindow, REBALANCE_DEFAULTS, type RebalancePolicy } from './policy.js';

export interface NodeView {
  readonly id: string;
  readonly hostname: string;
  readonly role: 'manager' | 'worker';
  /** Swarm's `Status.State`: ready, down, unknown, disconnected. */
  readonly state: string;
  /** Swarm's `Spec.Availability`: active, pause, drain. */
  readonly availability: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly engineLabels: Readonly<Record<string, string>>;
  readonly platform: { readonly os: string; readonly arch: string };
}

export interface TaskView {
  readonly id: string;
  readonly nodeId: string | undefined;
  /** `Status.State`: new … running, complete, failed, shutdown, orphaned. */
  readonly state: string;
  readonly desiredState: string;
}

export interface ServiceView {
  /** The name in the desired-state file. */
  readonly name: string;
  /** Undefined for a global service, which has one task per node by definition. */
  readonly replicas: number | undefined;
  readonly constraints: readonly string[];
  /** 0: no limit. */
  readonly maxPerNode: number;
  readonly updateState: string | undefined;
  readonly tasks: readonly TaskView[];
}

/** What the rebalancer remembers of a service between evaluations. */
export interface ServiceMemory {
  readonly lastMoveAt: number | undefined;
  /** Set when a move left the spread as it was: no move before this time. */
  readonly noProgressUntil: number | undefined;
  /** Moves in a row whose extra task the scheduler placed where it did no good. */
  readonly misplacements?: number;
}

export const EMPTY_SERVICE_MEMORY: ServiceMemory = { lastMoveAt: undefined, noProgressUntil: undefined };

export type DecisionKind = 'move' | 'would-move' | 'balanced' | 'hold' | 'skip';

export interface Decision {
  readonly service: string;
  readonly kind: DecisionKind;
  readonly reason: string;
  /** Running tasks per eligible node, by hostname. */
  readonly perNode: Readonly<Record<string, number>>;
  /** Most minus fewest running tasks over the eligible nodes; undefined when not computed. */
  readonly skew: number | undefined;
  /** Single-task moves that would bring the spread within `max_skew`. */
  readonly moves: number;
  /** For a move: the fullest and the emptiest eligible node (hostnames) and the count to return to. */
  readonly from?: string;
  readonly to?: string;
  readonly replicas?: number;
  /** For a move: the service's `max_replicas_per_node` (0: none), to judge where the extra task lands. */
  readonly maxPerNode?: number;
}

export interface DecideInput {
  readonly service: ServiceView;
  readonly nodes: readonly NodeView[];
  readonly policy: RebalancePolicy;
  readonly memory: ServiceMemory;
  readonly now: number;
  /** Why another part of the controller is acting on this service right now (the autoscaler). */
  readonly busy?: string | undefined;
  /**
   * The count in the desired-state file, when the file owns it. A different count in Swarm is one the
   * reconciler has yet to apply (after a controller killed mid-move, an extra task): moving on top of
   * it would be undone.
   */
  readonly fileReplicas?: number | undefined;
}

/** Rolling-update states in which the task set is someone else's to change. */
const UPDATING = new Set(['updating', 'paused', 'rollback_started', 'rollback_paused']);
/** Task states on the way to running: the service is not settled yet. */
const STARTING = new Set(['new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting']);

type Matcher = (node: NodeView) => boolean;

/** One Swarm placement constraint as a test on a node; undefined when we cannot evaluate it. */
export function constraintMatcher(expression: string): Matcher | undefined {
  const match = /^\s*([\w.-]+)\s*(==|!=)\s*(.+?)\s*$/.exec(expression);
  if (!match) return undefined;
  const [, key = '', operator, value = ''] = match;
  let read: ((node: NodeView) => string | undefined) | undefined;
  if (key === 'node.id') read = (node) => node.id;
  else if (key === 'node.hostname') read = (node) => node.hostname;
  else if (key === 'node.role') read = (node) => node.role;
  else if (key === 'node.platform.os') read = (node) => node.platform.os;
  else if (key === 'node.platform.arch') read = (node) => node.platform.arch;
  else if (key.startsWith('node.labels.')) {
    const label = key.slice('node.labels.'.length);
    read = (node) => node.labels[label];
  } else if (key.startsWith('engine.labels.')) {
    const label = key.slice('engine.labels.'.length);
    read = (node) => node.engineLabels[label];
  }
  if (!read) return undefined;
  const get = read;
  // Swarm compares node attributes case-insensitively.
  const want = value.toLowerCase();
  return operator === '=='
    ? (node) => get(node)?.toLowerCase() === want
    : (node) => get(node)?.toLowerCase() !== want;
}

/** Nodes a new task of the service could land on: ready, active, and matching every constraint. */
export function eligibleNodes(
  nodes: readonly NodeView[],
  constraints: readonly string[],
): { nodes: NodeView[] } | { unknown: string } {
  const matchers: Matcher[] = [];
  for (const expression of constraints) {
    const matcher = constraintMatcher(expression);
    if (!matcher) return { unknown: expression };
    matchers.push(matcher);
  }
  return {
    nodes: nodes.filter(
      (node) =>
        node.state === 'ready' && node.availability === 'active' && matchers.every((test) => test(node)),
    ),
  };
}

/**
 * Moves of one task from the fullest to the emptiest node that bring the spread within `maxSkew`,
 * where no node exceeds `maxPerNode`. Counts are not changed.
 */
export function movesNeeded(counts: readonly number[], maxSkew: number, maxPerNode: number): number {
  const work = [...counts];
  let moves = 0;
  for (;;) {
    let high = 0;
    let low = 0;
    for (let i = 1; i < work.length; i++) {
      if (work[i]! > work[high]!) high = i;
      if (work[i]! < work[low]!) low = i;
    }
    if (work.length < 2 || work[high]! - work[low]! <= maxSkew) return moves;
    if (maxPerNode > 0 && work[low]! >= maxPerNode) return moves;
    work[high]!--;
    work[low]!++;
    moves++;
  }
}

function formatMinute(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

export function decide(input: DecideInput): Decision {
  const { service, nodes, policy, memory, now } = input;
  const base = { service: service.name, perNode: {}, skew: undefined, moves: 0 };
  if (service.replicas === undefined) {
    return { ...base, kind: 'skip', reason: 'a global service runs one task per node' };
  }
  if (policy.mode === 'off') return { ...base, kind: 'skip', reason: 'rebalancing is off' };
  const eligible = eligibleNodes(nodes, service.constraints);
  if ('unknown' in eligible) {
    return { ...base, kind: 'skip', reason: `cannot evaluate the constraint "${eligible.unknown}"` };
  }
  const ready = new Set(nodes.filter((node) => node.state === 'ready').map((node) => node.id));
  const running = service.tasks.filter(
    (task) =>
      task.desiredState === 'running' &&
      task.state === 'running' &&
      task.nodeId !== undefined &&
      ready.has(task.nodeId),
  );
  const perNode: Record<string, number> = {};
  for (const node of eligible.nodes) perNode[node.hostname] = 0;
  const byId = new Map(eligible.nodes.map((node) => [node.id, node.hostname]));
  for (const task of running) {
    const hostname = byId.get(task.nodeId ?? '');
    if (hostname !== undefined) perNode[hostname] = (perNode[hostname] ?? 0) + 1;
  }
  const entries = Object.entries(perNode);
  const counts = entries.map(([, count]) => count);
  const skew = counts.length > 0 ? Math.max(...counts) - Math.min(...counts) : 0;
  const moves = movesNeeded(counts, policy.maxSkew, service.maxPerNode);
  const seen = { ...base, perNode, skew, moves };

  if (policy.mode === 'window' && policy.window && !insideWindow(policy.window, now)) {
    const { startMinute, endMinute } = policy.window;
    return {
      ...seen,
      kind: 'hold',
      reason: `outside the window ${formatMinute(startMinute)}-${formatMinute(endMinute)} UTC`,
    };
  }
  if (service.updateState !== undefined && UPDATING.has(service.updateState)) {
    return { ...seen, kind: 'hold', reason: `its rolling update is ${service.updateState}` };
  }
  if (input.busy !== undefined) return { ...seen, kind: 'hold', reason: input.busy };
  if (input.fileReplicas !== undefined && input.fileReplicas !== service.replicas) {
    return {
      ...seen,
      kind: 'hold',
      reason: `the count is ${service.replicas}, the file says ${input.fileReplicas}: waiting for the reconciler`,
    };
  }
  const starting = service.tasks.filter(
    (task) => task.desiredState === 'running' && STARTING.has(task.state),
  ).length;
  if (starting > 0 || running.length < service.replicas) {
    return {
      ...seen,
      kind: 'hold',
      reason: `not settled: ${running.length} of ${service.replicas} tasks running, ${starting} starting`,
    };
  }
  if (eligible.nodes.length < 2) {
    return { ...seen, kind: 'balanced', reason: `${eligible.nodes.length} eligible node(s)` };
  }
  if (skew <= policy.maxSkew) {
    return { ...seen, kind: 'balanced', reason: `skew ${skew} is within ${policy.maxSkew}` };
  }
  if (moves === 0) {
    return {
      ...seen,
      kind: 'hold',
      reason: `skew ${skew} but no eligible node has room under max_replicas_per_node ${service.maxPerNode}`,
    };
  }
  if (memory.noProgressUntil !== undefined && now < memory.noProgressUntil) {
    return {
      ...seen,
      kind: 'hold',
      reason: `the last move did not improve the spread; next try in ${Math.ceil((memory.noProgressUntil - now) / 1000)} s`,
    };
  }
  if (memory.lastMoveAt !== undefined && now < memory.lastMoveAt + policy.intervalMs) {
    return {
      ...seen,
      kind: 'hold',
      reason: `rate limit: next move in ${Math.ceil((memory.lastMoveAt + policy.intervalMs - now) / 1000)} s`,
    };
  }
  let from = entries[0]!;
  let to = entries[0]!;
  for (const entry of entries) {
    if (entry[1] > from[1]) from = entry;
    if (entry[1] < to[1]) to = entry;
  }
  const move = { from: from[0], to: to[0], replicas: service.replicas, maxPerNode: service.maxPerNode };
  const what = `skew ${skew} over ${policy.maxSkew}: ${moves} move(s), next ${from[0]} -> ${to[0]}`;
  return policy.dryRun
    ? { ...seen, ...move, kind: 'would-move', reason: `dry run: ${what}` }
    : { ...seen, ...move, kind: 'move', reason: what };
}

/**
 * Whether the extra task of a move, placed on `placed` (a hostname) by the scheduler, brings the service
 * closer once Swarm's scale-down takes one task off a fullest node. Swarm removes the task that is the
 * highest-numbered copy of the service on its node (swarmkit's replicated orchestrator), so after a
 * placement that helps, the fullest node is never the one that received the task: the check on these
 * counts is also the prediction of where the scale-down lands.
 */
export function placementHelps(
  perNode: Readonly<Record<string, number>>,
  placed: string | undefined,
  maxSkew: number,
  maxPerNode: number,
): boolean {
  if (placed === undefined || perNode[placed] === undefined) return false;
  const before = Object.values(perNode);
  const top = Math.max(...before);
  // With the extra task, the placed node must stay below the top, or the scale-down may pick it (or a
  // tie) and the spread is what it was.
  if (perNode[placed] + 1 >= top) return false;
  const after = { ...perNode, [placed]: perNode[placed] + 1 };
  const fullest = Object.keys(after).find((host) => after[host] === top);
  if (fullest === undefined) return false;
  after[fullest] = top - 1;
  return movesNeeded(Object.values(after), maxSkew, maxPerNode) < movesNeeded(before, maxSkew, maxPerNode);
}

/**
 * The nodes (hostnames) the scale-down of a move should take a task from: those with the most running
 * tasks once the extra one is on `placed`. The rebalancer retires an executor there, so the task that
 * leaves is an idle one on the fullest node rather than whichever Swarm would stop.
 */
export function scaleDownHosts(
  perNode: Readonly<Record<string, number>>,
  placed: string | undefined,
): string[] {
  const after: Record<string, number> = { ...perNode };
  if (placed !== undefined && after[placed] !== undefined) after[placed] += 1;
  const counts = Object.values(after);
  if (counts.length === 0) return [];
  const top = Math.max(...counts);
  return Object.keys(after)
    .filter((host) => after[host] === top)
    .sort();
}

/**
 * Whether a move did its own part: its extra task was placed and a task left one of the nodes the
 * scale-down was meant to take it from. A spread no better after such a move was changed by something
 * else meanwhile.
 */
export function moveDidItsPart(
  perNode: Readonly<Record<string, number>>,
  placed: string | undefined,
  removed: string | undefined,
): boolean {
  return placed !== undefined && removed !== undefined && scaleDownHosts(perNode, placed).includes(removed);
}

/**
 * How a finished move is judged, from the moves still needed before and after it and where its two
 * tasks went. `moved`: the service is closer. `retry-soon`: no closer, but not because of the move (it
 * did its part and something else changed the spread, or the task its scale-down removed cannot be
 * traced, as when it was a replacement started during the move); such causes pass. `back-off`: the
 * move itself was defeated (Swarm took the task from a node it was not meant to leave), which repeats
 * until the scheduler's view changes.
 */
export type MoveVerdict = 'moved' | 'retry-soon' | 'back-off';

export function judgeMove(move: {
  readonly movesBefore: number;
  readonly movesAfter: number;
  readonly perNode: Readonly<Record<string, number>>;
  readonly placed: string | undefined;
  readonly removed: string | undefined;
}): MoveVerdict {
  if (move.movesAfter < move.movesBefore) return 'moved';
  if (move.removed === undefined) return 'retry-soon';
  return moveDidItsPart(move.perNode, move.placed, move.removed) ? 'retry-soon' : 'back-off';
}

export type MoveStep =
  | { readonly kind: 'scale'; readonly replicas: number }
  | { readonly kind: 'check-placement' }
  | { readonly kind: 'wait-running'; readonly replicas: number };

/**
 * The steps of one move of a service at `replicas`. Where the scheduler put the extra task is checked
 * as soon as it is assigned, before it runs: a placement that does not help is undone while the task
 * is still starting, and Swarm's scale-down takes a task that is not running before one that is on the
 * same node. The extra task must run (healthy, as Swarm marks tasks with a healthcheck running only
 * then) before the count drops back, so the service never has fewer healthy tasks than desired.
 */
export function moveSteps(replicas: number): MoveStep[] {
  return [
    { kind: 'scale', replicas: replicas + 1 },
    { kind: 'check-placement' },
    { kind: 'wait-running', replicas: replicas + 1 },
    { kind: 'scale', replicas },
    { kind: 'wait-running', replicas },
  ];
}

/**
 * Memory after a finished move. Progress is counted in moves still needed, not in skew: 3-3-0-0 becomes
 * 3-2-1-0 with the same skew but one move closer. A move that brought nothing backs off instead of
 * looping on a node the scheduler will not use.
 */
export function afterMove(
  movesBefore: number,
  movesAfter: number,
  startedAt: number,
  now: number,
  backoffMs: number = REBALANCE_DEFAULTS.noProgressBackoffMs,
): ServiceMemory {
  return {
    lastMoveAt: startedAt,
    noProgressUntil: movesAfter >= movesBefore ? now + backoffMs : undefined,
  };
}

/**
 * Memory after a move whose extra task was placed where it did no good and was removed again before it
 * ran. The cause may pass (the scheduler's view of a node that just returned lags, or it avoids a node
 * where tasks of the service failed in the last minutes), so the next try comes soon and each further
 * one waits twice as long, up to the long back-off.
 */
export function afterMisplacement(
  memory: ServiceMemory,
  startedAt: number,
  now: number,
  intervalMs: number,
  backoffMs: number = REBALANCE_DEFAULTS.noProgressBackoffMs,
): ServiceMemory {
  const misplacements = (memory.misplacements ?? 0) + 1;
  const wait = Math.min(intervalMs * 2 ** (misplacements - 1), backoffMs);
  return { lastMoveAt: startedAt, noProgressUntil: now + wait, misplacements };
}
