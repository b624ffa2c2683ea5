/**
 * The thin part of the rebalancer. It evaluates every service with replicas on start, periodically,
 * and soon after a node event (what the event says is never trusted: the nodes are read again, and a
 * node counts as returned only when that read shows it ready and active after it was not). A service
 * the planner finds skewed gets one move at a time, cluster-wide: scale up by one, wait until the
 * extra task runs, scale down by one. While a move runs the reconciler leaves the count alone
 * (`held()`); a controller killed mid-move leaves one extra task, which the reconciler's first pass
 * after the restart removes (the autoscaler, for a service it owns), and the next evaluation goes on.
 *
 * The scale-down of a move on a service of executors goes through their drain path, the autoscaler's
 * Retirer: an executor on the fullest node, the least busy one, is asked to finish its runs and exit,
 * and the count drops once its task has stopped, so Swarm removes that slot and no run is cut short.
 * The request lives in Redis; a controller restarted mid-retirement finishes it before anything else.
 */
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { DesiredFile } from '../desired/schema.js';
import type { Retirer } from '../autoscale/retire.js';
import { SwarmScaleTarget } from '../autoscale/swarm-target.js';
import type { SwarmClient } from '../swarm/docker.js';
import { isJob, objectName } from '../swarm/spec.js';
import type { RebalanceMetrics } from './metrics.js';
import {
  EMPTY_SERVICE_MEMORY,
  afterMisplacement,
  afterMove,
  decide,
  judgeMove,
  moveSteps,
  placementHelps,
  scaleDownHosts,
  type Decision,
  type NodeView,
  type ServiceMemory,
  type ServiceView,
  type TaskView,
} from './plan.js';
import { parseRebalancePolicy, type RebalancePolicy } from './policy.js';
import { readNodes, readService, setReplicas } from './swarm-view.js';

export type RebalancerState = 'idle' | 'running' | 'closing' | 'closed';
export const MOVE_RESULTS = ['moved', 'no_progress', 'failed', 'aborted'] as const;
export type MoveResult = (typeof MOVE_RESULTS)[number];

export interface RebalancerOptions {
  readonly docker: Docker;
  readonly client: SwarmClient;
  readonly logger: Logger;
  readonly metrics: RebalanceMetrics;
  /** Why another part is acting on the service right now, or undefined (the autoscaler guard). */
  readonly busy?: (service: string) => string | undefined;
  /**
   * Retires executors: with it, a move's scale-down on a service whose tasks are executors (their
   * containers heartbeat in Redis) asks one on the fullest node to leave instead of letting Swarm stop
   * any task there. Without it (no Redis), every scale-down is Swarm's.
   */
  readonly retirer?: Pick<Retirer, 'begin' | 'progress' | 'pending'>;
  /** Between evaluations without events. Default 15 s. */
  readonly intervalMs?: number;
  /** Delay from a node event to the confirming read: events come in bursts. Default 1 s. */
  readonly eventSettleMs?: number;
  /** Moves kept for `/status`. Default 20. */
  readonly history?: number;
  readonly now?: () => number;
}

export interface MoveRecord {
  readonly service: string;
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly replicas: number;
  readonly startedAt: string;
  readonly finishedAt: string | undefined;
  readonly result: MoveResult | 'running';
  readonly message: string;
  /** Single-task moves the service still needed before and after. */
  readonly movesBefore: number;
  readonly movesAfter: number | undefined;
}

export interface RebalanceStatus {
  readonly state: RebalancerState;
  readonly lastEvaluationAt: string | undefined;
  readonly lastError: string | undefined;
  readonly nodes: readonly { hostname: string; state: string; availability: string }[];
  readonly returned: readonly { hostname: string; at: string }[];
  readonly services: readonly { service: string; policy: RebalancePolicy; decision: Decision | undefined }[];
  /** Newest first. */
  readonly moves: readonly MoveRecord[];
}

interface Entry {
  policy: RebalancePolicy;
  /** The file's count when the file owns it (not an autoscaled service). */
  fileReplicas: number | undefined;
  memory: ServiceMemory;
  decision: Decision | undefined;
}

const usable = (node: NodeView): boolean => node.state === 'ready' && node.availability === 'active';

export class Rebalancer {
  readonly #options: RebalancerOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #services = new Map<string, Entry>();
  readonly #held = new Set<string>();
  #stack: string | undefined;
  #state: RebalancerState = 'idle';
  #nodes: NodeView[] | undefined;
  #returned: { hostname: string; at: string }[] = [];
  #moves: MoveRecord[] = [];
  #lastEvaluationAt: number | undefined;
  #lastError: string | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #settle: NodeJS.Timeout | undefined;
  #events: Readable | undefined;

  constructor(options: RebalancerOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'rebalancer' });
    this.#now = options.now ?? Date.now;
  }

  get state(): RebalancerState {
    return this.#state;
  }

  #setState(next: RebalancerState): void {
    this.#log.info({ from: this.#state, to: next }, 'state');
    this.#state = next;
  }

  /** Services whose replica count a move holds right now; the reconciler leaves those counts alone. */
  held(): ReadonlySet<string> {
    return this.#held;
  }

  /** Takes the policies of a newly loaded desired state; memory survives a reload. */
  setDesired(desired: DesiredFile): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    if (this.#stack !== desired.stack) this.#services.clear();
    this.#stack = desired.stack;
    const seen = new Set<string>();
    for (const [name, def] of Object.entries(desired.services)) {
      // A job has no running tasks to spread, and a move's count change would corrupt its mode.
      if (isJob(def)) continue;
      seen.add(name);
      const policy = parseRebalancePolicy(def.rebalance);
      const fileReplicas = def.autoscale === undefined ? (def.replicas ?? 1) : undefined;
      const existing = this.#services.get(name);
      if (existing) {
        existing.policy = policy;
        existing.fileReplicas = fileReplicas;
      } else {
        this.#services.set(name, { policy, fileReplicas, memory: EMPTY_SERVICE_MEMORY, decision: undefined });
      }
    }
    for (const name of this.#services.keys()) if (!seen.has(name)) this.#services.delete(name);
    this.trigger('desired state');
  }

  async start(): Promise<void> {
    if (this.#state !== 'idle') return;
    this.#setState('running');
    await this.#subscribe();
    this.trigger('start');
  }

  async #subscribe(): Promise<void> {
    try {
      const stream = (await this.#options.docker.getEvents({
        filters: JSON.stringify({ type: ['node'] }),
      })) as unknown as Readable;
      this.#events = stream;
      stream.on('data', () => {
        clearTimeout(this.#settle);
        this.#settle = setTimeout(() => this.trigger('node event'), this.#options.eventSettleMs ?? 1_000);
        this.#settle.unref();
      });
      stream.on('error', (error: Error) => this.#log.warn({ err: error }, 'node event stream failed'));
      stream.on('end', () => {
        if (this.#state !== 'running') return;
        this.#log.warn('node event stream ended; resubscribing');
        setTimeout(() => void this.#subscribe(), 1_000).unref();
      });
    } catch (error) {
      this.#log.warn({ err: error }, 'cannot subscribe to node events; relying on the interval');
      if (this.#state === 'running') setTimeout(() => void this.#subscribe(), 5_000).unref();
    }
  }

  /** Asks for an evaluation; evaluations never overlap and requests during one coalesce. */
  trigger(reason: string): void {
    if (this.#state !== 'running' || this.#stack === undefined) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#loop(reason).finally(() => {
      this.#running = undefined;
    });
  }

  async #loop(first: string): Promise<void> {
    let reason = first;
    for (;;) {
      this.#again = false;
      clearTimeout(this.#timer);
      let soon: number | undefined;
      try {
        soon = await this.#evaluate(reason);
        this.#lastError = undefined;
        this.#options.metrics.evaluations.inc({ result: 'ok' });
      } catch (error) {
        this.#lastError = error instanceof Error ? error.message : String(error);
        this.#options.metrics.evaluations.inc({ result: 'error' });
        this.#log.warn({ err: error }, 'evaluation failed');
      }
      if (this.#state !== 'running') return;
      if (!this.#again) {
        const delay = Math.min(soon ?? Infinity, this.#options.intervalMs ?? 15_000);
        this.#timer = setTimeout(() => this.trigger(soon !== undefined ? 'next move' : 'interval'), delay);
        this.#timer.unref();
        return;
      }
      reason = 'coalesced';
    }
  }

  /** One look at every service, and at most one move; returns when to look again if sooner than usual. */
  async #evaluate(reason: string): Promise<number | undefined> {
    const stack = this.#stack;
    if (stack === undefined) return undefined;
    const nodes = await readNodes(this.#options.docker);
    this.#noteReturns(nodes);
    this.#lastEvaluationAt = this.#now();
    let soon: number | undefined;
    let moved = false;
    for (const [name, entry] of this.#services) {
      if (this.#state !== 'running') return undefined;
      const full = objectName(stack, name);
      const service = await readService(this.#options.client, name, full);
      if (!service) continue;
      if (await this.#finishingRetirement(stack, name, service)) {
        entry.decision = {
          service: name,
          kind: 'hold',
          reason: 'an executor retiring for a move begun before a restart is still leaving',
          perNode: {},
          skew: undefined,
          moves: 0,
        };
        soon = Math.min(soon ?? Infinity, 1_000);
        continue;
      }
      const decision = decide({
        service,
        nodes,
        policy: entry.policy,
        memory: entry.memory,
        now: this.#now(),
        busy: this.#options.busy?.(name),
        fileReplicas: entry.fileReplicas,
      });
      entry.decision = decision;
      if (decision.skew !== undefined) this.#options.metrics.skew.set({ service: name }, decision.skew);
      this.#options.metrics.movesNeeded.set({ service: name }, decision.moves);
      this.#options.metrics.heldMoves.set(
        { service: name },
        decision.kind === 'hold' || decision.kind === 'would-move' ? decision.moves : 0,
      );
      // Every result's series exists from the first look, so a dashboard shows 0 rather than nothing.
      for (const result of MOVE_RESULTS) this.#options.metrics.moves.inc({ service: name, result }, 0);
      if (decision.kind === 'would-move' || (decision.kind === 'move' && moved)) {
        this.#log.info({ service: name, perNode: decision.perNode, reason: decision.reason }, 'skewed');
      }
      if (decision.kind !== 'move') continue;
      if (moved) {
        // One move at a time across the cluster: the next service waits for the next evaluation.
        soon = 0;
        continue;
      }
      moved = true;
      this.#log.info({ service: name, trigger: reason, perNode: decision.perNode }, decision.reason);
      await this.#move(stack, name, entry, decision, nodes);
      soon = Math.min(soon ?? Infinity, entry.policy.intervalMs);
    }
    return soon;
  }

  /**
   * Carries on a retirement a previous controller began for a move (the count still holds the move's
   * extra task); true while it is still open.
   */
  async #finishingRetirement(stack: string, name: string, service: ServiceView): Promise<boolean> {
    const retirer = this.#options.retirer;
    if (!retirer || service.replicas === undefined) return false;
    const open = await retirer.pending(name);
    if (open?.by !== 'rebalancer') return false;
    const target = new SwarmScaleTarget(this.#options.client, stack, objectName(stack, name));
    const still = await retirer.progress(name, target, this.#now(), 'rebalancer');
    if (!still) this.#log.info({ service: name }, 'finished the retirement of an earlier move');
    return still !== undefined;
  }

  /**
   * The scale-down of a move through an executor's drain path: asks the least busy executor on one of
   * `hosts` to retire and lowers the count from `current` once its task has stopped. 'none' when no
   * executor runs there (the service is not one of executors, or they have not announced themselves):
   * the caller scales down as for any other service.
   */
  async #retireOne(
    stack: string,
    name: string,
    current: number,
    hosts: readonly string[],
    nodes: readonly NodeView[],
  ): Promise<'lowered' | 'none' | 'gave-up' | 'closing'> {
    const retirer = this.#options.retirer;
    if (!retirer) return 'none';
    const full = objectName(stack, name);
    const ids = new Set(nodes.filter((node) => hosts.includes(node.hostname)).map((node) => node.id));
    const tasks = (await this.#options.docker.listTasks({
      filters: JSON.stringify({ service: [full] }),
    })) as Array<{
      NodeID?: string;
      DesiredState?: string;
      Status?: { State?: string; ContainerStatus?: { ContainerID?: string } };
    }>;
    const containers = tasks.flatMap((task) =>
      task.DesiredState === 'running' &&
      task.Status?.State === 'running' &&
      task.NodeID !== undefined &&
      ids.has(task.NodeID) &&
      task.Status.ContainerStatus?.ContainerID
        ? [task.Status.ContainerStatus.ContainerID]
        : [],
    );
    if (containers.length === 0) return 'none';
    const asked = await retirer.begin(name, current, 1, this.#now(), { among: containers, by: 'rebalancer' });
    if (asked === 0) return 'none';
    this.#log.info({ service: name, hosts }, 'retiring an executor for the scale-down');
    const target = new SwarmScaleTarget(this.#options.client, stack, full);
    for (;;) {
      // Closing leaves the request in Redis: the executor still leaves, and the next controller's first
      // evaluation lowers the count.
      if (this.#state !== 'running') return 'closing';
      const open = await retirer.progress(name, target, this.#now(), 'rebalancer');
      if (!open) {
        const now = (await readService(this.#options.client, name, full))?.replicas;
        return now === current - 1 ? 'lowered' : 'gave-up';
      }
      await sleep(250);
    }
  }

  #noteReturns(nodes: NodeView[]): void {
    const before = this.#nodes;
    this.#nodes = nodes;
    if (!before) return;
    const wasUsable = new Set(before.filter(usable).map((node) => node.id));
    for (const node of nodes) {
      if (!usable(node) || wasUsable.has(node.id)) continue;
      this.#log.info({ node: node.hostname }, 'node is ready and active again');
      this.#options.metrics.nodeReturns.inc();
      this.#returned.unshift({ hostname: node.hostname, at: new Date(this.#now()).toISOString() });
      this.#returned.length = Math.min(this.#returned.length, this.#options.history ?? 20);
    }
  }

  async #move(
    stack: string,
    name: string,
    entry: Entry,
    decision: Decision,
    nodes: readonly NodeView[],
  ): Promise<void> {
    const { client, metrics } = this.#options;
    const full = objectName(stack, name);
    const replicas = decision.replicas ?? 0;
    const startedAt = this.#now();
    const stop = metrics.moveSeconds.startTimer({ service: name });
    const record = (result: MoveRecord['result'], message: string, movesAfter?: number): void => {
      const finished = result === 'running' ? undefined : new Date(this.#now()).toISOString();
      const next: MoveRecord = {
        service: name,
        from: decision.from,
        to: decision.to,
        replicas,
        startedAt: new Date(startedAt).toISOString(),
        finishedAt: finished,
        result,
        message,
        movesBefore: decision.moves,
        movesAfter,
      };
      if (this.#moves[0]?.startedAt === next.startedAt && this.#moves[0].service === name)
        this.#moves[0] = next;
      else this.#moves.unshift(next);
      this.#moves.length = Math.min(this.#moves.length, this.#options.history ?? 20);
    };
    const finish = (result: MoveResult, message: string, movesAfter?: number): void => {
      record(result, message, movesAfter);
      metrics.moves.inc({ service: name, result });
      if (result !== 'aborted') stop();
      this.#log[result === 'moved' ? 'info' : 'warn']({ service: name, result, movesAfter }, message);
    };
    this.#held.add(name);
    record('running', `scaling to ${replicas + 1}`);
    let current = replicas;
    try {
      // The tasks before the move: the extra one is the task that is not among them.
      const start = (await readService(client, name, full))?.tasks ?? [];
      const known = new Set(start.map((task) => task.id));
      const wanted = new Set(start.filter((task) => task.desiredState === 'running').map((task) => task.id));
      const hostnames = new Map(nodes.map((node) => [node.id, node.hostname]));
      let placed: string | undefined;
      for (const step of moveSteps(replicas)) {
        if (step.kind === 'scale' && step.replicas < current) {
          const hosts = scaleDownHosts(decision.perNode, placed);
          const retired = await this.#retireOne(stack, name, current, hosts, nodes);
          if (retired === 'lowered') {
            current = step.replicas;
            continue;
          }
          if (retired === 'closing' || retired === 'gave-up') {
            finish(
              retired === 'closing' ? 'aborted' : 'failed',
              retired === 'closing'
                ? 'the controller is stopping while an executor retires; the next one lowers the count'
                : 'the retirement was given up (the count changed, or the executor stayed busy); count left as it is',
            );
            entry.memory = afterMove(decision.moves, decision.moves, startedAt, this.#now());
            return;
          }
        }
        if (step.kind === 'scale') {
          if (!(await setReplicas(client, full, step.replicas, current))) {
            finish('aborted', `the replica count changed meanwhile; left it as it is`);
            entry.memory = { ...entry.memory, lastMoveAt: startedAt };
            return;
          }
          current = step.replicas;
          continue;
        }
        const outcome =
          step.kind === 'check-placement'
            ? await this.#waitPlaced(full, known, entry.policy.healthTimeoutMs)
            : await this.#waitRunning(full, step.replicas, entry.policy.healthTimeoutMs);
        if (outcome === 'closing' || outcome === 'timeout') {
          // Back to the desired count at once: Swarm removes a task that is not running first, so the
          // healthy ones stay.
          if (current !== replicas) await setReplicas(client, full, replicas, current);
          const why =
            outcome === 'closing'
              ? 'the controller is stopping'
              : `the extra task did not run healthy within ${entry.policy.healthTimeoutMs / 1000} s`;
          finish(outcome === 'closing' ? 'aborted' : 'failed', `gave up: ${why}`);
          entry.memory = afterMove(decision.moves, decision.moves, startedAt, this.#now());
          return;
        }
        if (step.kind !== 'check-placement' || outcome === 'ok') continue;
        placed = hostnames.get(outcome.nodeId) ?? outcome.nodeId;
        if (placementHelps(decision.perNode, placed, entry.policy.maxSkew, decision.maxPerNode ?? 0)) {
          this.#log.info({ service: name, placed, task: outcome.taskId }, 'extra task placed');
          continue;
        }
        // Undone before the task runs: on its node it is the copy Swarm removes first.
        await setReplicas(client, full, replicas, current);
        current = replicas;
        const settled = await this.#waitRunning(full, replicas, entry.policy.healthTimeoutMs);
        entry.memory = afterMisplacement(entry.memory, startedAt, this.#now(), entry.policy.intervalMs);
        finish(
          'no_progress',
          `the scheduler placed the extra task on ${placed}, where it does no good; undone` +
            (settled === 'ok' ? '' : ` (the service has not settled: ${settled})`),
          decision.moves,
        );
        return;
      }
      const after = await readService(client, name, full);
      const now = this.#now();
      const movesAfter = after
        ? decide({ service: after, nodes, policy: entry.policy, memory: EMPTY_SERVICE_MEMORY, now }).moves
        : decision.moves;
      const removed = after ? this.#removedFrom(after.tasks, wanted, hostnames) : undefined;
      // The move did its part when the task left one of the nodes it was meant to leave (the extra
      // one was placed where it helps, or the check above undid it). If the spread is still no better,
      // something else moved a task meanwhile (a task on a node that just returned failed and Swarm
      // placed its replacement elsewhere): that passes, so the next try comes soon, not after the long
      // back-off kept for moves that Swarm itself defeats.
      const verdict = judgeMove({
        movesBefore: decision.moves,
        movesAfter,
        perNode: decision.perNode,
        placed,
        removed,
      });
      if (verdict === 'moved') {
        entry.memory = afterMove(decision.moves, movesAfter, startedAt, now);
        finish(
          'moved',
          `moved one task ${removed ?? '?'} -> ${placed ?? '?'}; ${movesAfter} move(s) left`,
          movesAfter,
        );
      } else if (verdict === 'retry-soon') {
        entry.memory = afterMisplacement(entry.memory, startedAt, now, entry.policy.intervalMs);
        finish(
          'no_progress',
          removed === undefined
            ? `the extra task went to ${placed ?? '?'}, and the task Swarm removed was not one the move began with: no closer; trying again soon`
            : `moved one task ${removed} -> ${placed ?? '?'}, but the spread changed meanwhile: no closer; trying again soon`,
          movesAfter,
        );
      } else {
        entry.memory = afterMove(decision.moves, movesAfter, startedAt, now);
        finish(
          'no_progress',
          `the extra task went to ${placed ?? '?'} and Swarm removed one from ${removed ?? '?'}: no closer; backing off`,
          movesAfter,
        );
      }
    } catch (error) {
      finish('failed', `move failed: ${error instanceof Error ? error.message : String(error)}`);
      entry.memory = afterMove(decision.moves, decision.moves, startedAt, this.#now());
    } finally {
      this.#held.delete(name);
    }
  }

  /** The node of the task the scale-down removed: one meant to run at the move's start that no longer is. */
  #removedFrom(
    tasks: readonly TaskView[],
    wanted: ReadonlySet<string>,
    hostnames: ReadonlyMap<string, string>,
  ): string | undefined {
    const gone = tasks.find(
      (task) => wanted.has(task.id) && task.desiredState !== 'running' && task.nodeId !== undefined,
    );
    return gone?.nodeId !== undefined ? (hostnames.get(gone.nodeId) ?? gone.nodeId) : undefined;
  }

  /**
   * Until the scheduler has assigned the move's extra task (the one task not in `known` that should
   * run) to a node; 'ok' when there is no single such task to judge (a restart elsewhere at the same
   * moment), and the move then goes on as Swarm places it.
   */
  async #waitPlaced(
    full: string,
    known: ReadonlySet<string>,
    timeoutMs: number,
  ): Promise<{ taskId: string; nodeId: string } | 'ok' | 'timeout' | 'closing'> {
    const deadline = this.#now() + timeoutMs;
    for (;;) {
      if (this.#state !== 'running') return 'closing';
      const fresh = (
        (await this.#options.docker.listTasks({
          filters: JSON.stringify({ service: [full] }),
        })) as Array<{ ID: string; NodeID?: string; DesiredState?: string }>
      ).filter((task) => !known.has(task.ID) && task.DesiredState === 'running');
      if (fresh.length > 1) return 'ok';
      const task = fresh[0];
      if (task?.NodeID !== undefined && task.NodeID !== '') return { taskId: task.ID, nodeId: task.NodeID };
      if (this.#now() > deadline) return 'timeout';
      await sleep(100);
    }
  }

  /** Until exactly `replicas` tasks run and none is starting or stopping. */
  async #waitRunning(
    full: string,
    replicas: number,
    timeoutMs: number,
  ): Promise<'ok' | 'timeout' | 'closing'> {
    const deadline = this.#now() + timeoutMs;
    for (;;) {
      if (this.#state !== 'running') return 'closing';
      // A node that is down cannot report its tasks stopping: they keep their last state for ever.
      const ready = new Set(
        (await readNodes(this.#options.docker)).filter((n) => n.state === 'ready').map((n) => n.id),
      );
      const tasks = (
        (await this.#options.docker.listTasks({
          filters: JSON.stringify({ service: [full] }),
        })) as Array<{ NodeID?: string; DesiredState?: string; Status?: { State?: string } }>
      ).filter((t) => t.NodeID === undefined || ready.has(t.NodeID));
      const running = tasks.filter(
        (t) => t.DesiredState === 'running' && t.Status?.State === 'running',
      ).length;
      const settling = tasks.filter(
        (t) =>
          (t.DesiredState === 'running' && t.Status?.State !== 'running') ||
          (t.DesiredState !== 'running' && t.Status?.State === 'running'),
      ).length;
      if (running === replicas && settling === 0) return 'ok';
      if (this.#now() > deadline) return 'timeout';
      await sleep(250);
    }
  }

  status(): RebalanceStatus {
    return {
      state: this.#state,
      lastEvaluationAt:
        this.#lastEvaluationAt !== undefined ? new Date(this.#lastEvaluationAt).toISOString() : undefined,
      lastError: this.#lastError,
      nodes: (this.#nodes ?? []).map((node) => ({
        hostname: node.hostname,
        state: node.state,
        availability: node.availability,
      })),
      returned: this.#returned,
      services: [...this.#services.entries()].map(([service, entry]) => ({
        service,
        policy: entry.policy,
        decision: entry.decision,
      })),
      moves: this.#moves,
    };
  }

  /** Idempotent; a move in progress goes back to the desired count before this resolves. */
  async close(): Promise<void> {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#setState('closing');
    clearTimeout(this.#timer);
    clearTimeout(this.#settle);
    try {
      this.#events?.destroy();
    } catch (error) {
      this.#log.warn({ err: error }, 'closing the node event stream failed');
    }
    await this.#running?.catch(() => undefined);
    this.#setState('closed');
  }
}
