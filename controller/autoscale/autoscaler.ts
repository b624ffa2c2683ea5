/**
 * The thin part of the autoscaler: for each service with an `autoscale:` policy, every interval it
 * reads the service and its checks, asks the pure `decide` for a count, applies it (scale-in through
 * executor retirement when the service serves the queue), and records the evaluation for `/status` and
 * `/metrics`. Evaluations of one service never overlap. An executor pool that may scale to zero is
 * kept parked (parking.ts), so the webapp still queues its submissions and the queue wakes it.
 */
import type { Logger } from '../../common/logger.js';
import type { DesiredFile } from '../desired/schema.js';
import { HANDS_OFF_STATES } from '../plan/planner.js';
import { objectName } from '../swarm/spec.js';
import { EMPTY_MEMORY, decide, type AutoscaleMemory, type Evaluation, type Reading } from './decide.js';
import { recordEvaluation, type AutoscaleMetrics } from './metrics.js';
import { parsePolicy, type AutoscalePolicy } from './policy.js';
import type { PrometheusSource } from './prometheus-source.js';
import type { QueueSource } from './queue-source.js';
import type { PoolParking, PoolRoute } from './parking.js';
import type { Retirer, ScaleIn } from './retire.js';
import type { ScaleTarget } from './swarm-target.js';
import { poolOfService } from '../desired/pools.js';

export type AutoscalerState = 'idle' | 'running' | 'closing' | 'closed';

export interface AutoscalerOptions {
  readonly logger: Logger;
  readonly metrics: AutoscaleMetrics;
  /** The Swarm door for one service, by its full name. */
  readonly target: (stack: string, fullName: string) => ScaleTarget;
  /** Absent when the controller has no Redis: queue checks then fail (and never scale in). */
  readonly queue: QueueSource | undefined;
  readonly retirer: Retirer | undefined;
  /**
   * Keeps the pools of queue-scaled services with `min: 0` routable at zero. Absent when the controller
   * has no Redis: queue checks then fail and hold the count, so no pool goes to zero.
   */
  readonly parking: PoolParking | undefined;
  readonly prometheus: PrometheusSource;
  /** For Prometheus checks without their own `url`. */
  readonly prometheusUrl: string | undefined;
  /**
   * Default true: each service is evaluated every interval. False: only when `evaluate()` is called, so
   * that a test decides when each evaluation happens and none runs behind its back.
   */
  readonly scheduled?: boolean;
  /** Evaluations kept per service for `/status`. Default 20. */
  readonly history?: number;
  readonly now?: () => number;
}

export interface ServiceAutoscaleStatus {
  readonly service: string;
  readonly policy: AutoscalePolicy;
  readonly scaleIn: ScaleIn | undefined;
  readonly lastError: string | undefined;
  /** Newest first. */
  readonly evaluations: readonly Evaluation[];
}

interface Entry {
  policy: AutoscalePolicy;
  /** The executor pool whose queue the service's queue checks read (controller/desired/pools.ts). */
  pool: string;
  /** The languages the file gives the pool; undefined for the default pool. */
  languages: readonly string[] | undefined;
  stack: string;
  target: ScaleTarget;
  memory: AutoscaleMemory;
  evaluations: Evaluation[];
  scaleIn: ScaleIn | undefined;
  lastError: string | undefined;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  /** Settles when the last evaluation begun has ended; evaluations of one service never overlap. */
  turn: Promise<unknown>;
}

export class Autoscaler {
  readonly #options: AutoscalerOptions;
  readonly #log: Logger;
  readonly #services = new Map<string, Entry>();
  /** Pools of queue-scaled services whose `min` is 0: the ones kept parked at zero. */
  #parkable: ReadonlySet<string> = new Set();
  /** Settles when the last release of parked pools begun has ended; releases never overlap. */
  #releasing: Promise<void> = Promise.resolve();
  readonly #now: () => number;
  #state: AutoscalerState = 'idle';

  constructor(options: AutoscalerOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'autoscaler' });
    this.#now = options.now ?? Date.now;
  }

  get state(): AutoscalerState {
    return this.#state;
  }

  #setState(next: AutoscalerState): void {
    this.#log.info({ from: this.#state, to: next }, 'state');
    this.#state = next;
  }

  /**
   * Takes the policies of a newly loaded desired state; memory survives a reload of the same service.
   * Resolves once the parked announcements of pools that may no longer be at zero are removed; never
   * rejects (a failure is logged, and the pool's own evaluations remove its announcement).
   */
  setDesired(desired: DesiredFile): Promise<void> {
    if (this.#state === 'idle') this.#setState('running');
    if (this.#state !== 'running') return this.#releasing;
    const seen = new Set<string>();
    const parkable = new Set<string>();
    for (const [name, def] of Object.entries(desired.services)) {
      if (!def.autoscale) continue;
      seen.add(name);
      const policy = parsePolicy(def.autoscale);
      const fullName = objectName(desired.stack, name);
      const pool = poolOfService(name, def);
      if (policy.min === 0 && policy.checks.some((check) => check.source === 'queue')) parkable.add(pool);
      const existing = this.#services.get(name);
      if (existing && existing.stack === desired.stack) {
        existing.policy = policy;
        existing.pool = pool;
        existing.languages = def.languages;
        continue;
      }
      if (existing) clearTimeout(existing.timer);
      const entry: Entry = {
        policy,
        pool,
        languages: def.languages,
        stack: desired.stack,
        target: this.#options.target(desired.stack, fullName),
        memory: EMPTY_MEMORY,
        evaluations: [],
        scaleIn: undefined,
        lastError: undefined,
        timer: undefined,
        running: undefined,
        turn: Promise.resolve(),
      };
      this.#services.set(name, entry);
      this.#log.info({ service: name, min: policy.min, max: policy.max }, 'autoscaling');
      if (this.#options.scheduled ?? true) this.#schedule(name, entry, 0);
    }
    for (const [name, entry] of this.#services) {
      if (seen.has(name)) continue;
      clearTimeout(entry.timer);
      this.#services.delete(name);
      this.#log.info({ service: name }, 'no longer autoscaled');
    }
    this.#parkable = parkable;
    const parking = this.#options.parking;
    if (!parking) return this.#releasing;
    this.#releasing = this.#releasing.then(async () => {
      try {
        const released = await parking.releaseExcept(parkable);
        if (released.length > 0)
          this.#log.info({ pools: released }, 'pools may no longer be at zero: unparked');
      } catch (error) {
        this.#log.warn({ err: error }, 'unparking pools failed');
      }
    });
    return this.#releasing;
  }

  #schedule(name: string, entry: Entry, delayMs: number): void {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.running = this.evaluate(name)
        .then(() => undefined)
        .catch((error: unknown) => {
          entry.lastError = error instanceof Error ? error.message : String(error);
          this.#log.warn({ err: error, service: name }, 'evaluation failed');
        })
        .finally(() => {
          entry.running = undefined;
          if (this.#state !== 'running' || this.#services.get(name) !== entry) return;
          // A scale-in in progress is followed closely: the count must drop while the retired slot
          // waits out Swarm's restart delay.
          this.#schedule(
            name,
            entry,
            entry.scaleIn ? Math.min(250, entry.policy.intervalMs) : entry.policy.intervalMs,
          );
        });
    }, delayMs);
    entry.timer.unref();
  }

  async #read(entry: Entry, now: number): Promise<Map<string, Reading>> {
    const readings = new Map<string, Reading>();
    await Promise.all(
      entry.policy.checks.map(async (check) => {
        let reading: Reading;
        if (check.source === 'queue') {
          reading = this.#options.queue
            ? await this.#options.queue.read(entry.policy.intervalMs, now, entry.pool)
            : { status: 'error', message: 'the controller has no Redis configured' };
        } else {
          const url = check.url ?? this.#options.prometheusUrl;
          reading = url
            ? await this.#options.prometheus.query(url, check.query, now)
            : { status: 'error', message: 'no Prometheus URL: set PROMETHEUS_URL or the check url' };
        }
        readings.set(check.name, reading);
      }),
    );
    return readings;
  }

  /**
   * One evaluation of one service; returns undefined when the service does not exist yet. A call
   * while another evaluation of the same service runs waits for it: two overlapping evaluations
   * would read the same replica count and both act on it.
   */
  evaluate(name: string): Promise<Evaluation | undefined> {
    const entry = this.#services.get(name);
    if (!entry) return Promise.resolve(undefined);
    const mine = entry.turn.then(async () => {
      const stop = this.#options.metrics.evaluationSeconds.startTimer({ service: name });
      try {
        return await this.#evaluate(name, entry);
      } finally {
        stop();
      }
    });
    entry.turn = mine.catch(() => undefined);
    return mine;
  }

  async #evaluate(name: string, entry: Entry): Promise<Evaluation | undefined> {
    const { metrics } = this.#options;
    const retirer = this.#options.retirer;
    const usesQueue = entry.policy.checks.some((check) => check.source === 'queue');
    // Finish (or give up) a scale-in first: it may have begun before a controller restart.
    if (retirer && usesQueue) entry.scaleIn = await retirer.progress(name, entry.target, this.#now());
    const snapshot = await entry.target.read();
    if (!snapshot) return undefined;
    const now = this.#now();
    const readings = await this.#read(entry, now);
    const hold =
      snapshot.updateState !== undefined && HANDS_OFF_STATES.has(snapshot.updateState)
        ? `its rolling update is ${snapshot.updateState}`
        : undefined;
    // The webapp routes a pool's languages only while it has an announcement, live or parked: a pool
    // at zero without one could never be woken by a submission, so it keeps one executor until its
    // languages are known.
    const route = usesQueue ? await this.#route(name, entry) : undefined;
    const floor =
      route === 'none'
        ? { replicas: 1, reason: `no executor of pool ${entry.pool} has announced its languages` }
        : undefined;
    const { evaluation, memory } = decide({
      policy: entry.policy,
      current: snapshot.replicas,
      readings,
      memory: entry.memory,
      now,
      hold,
      floor,
    });
    let applied = evaluation;
    let changed = false;
    if (evaluation.apply) {
      try {
        ({ applied, changed } = await this.#apply(name, entry, evaluation, usesQueue));
      } catch (error) {
        metrics.applyErrors.inc({ service: name });
        entry.lastError = error instanceof Error ? error.message : String(error);
        applied = {
          ...evaluation,
          apply: false,
          reason: `${evaluation.reason}; not applied: ${entry.lastError}`,
        };
      }
    }
    // A change that did not happen must not count against the step limit; a scale-in that began
    // retiring executors does, though the count drops only as they exit.
    entry.memory = changed ? memory : { ...memory, changes: entry.memory.changes };
    entry.evaluations.unshift(applied);
    entry.evaluations.length = Math.min(entry.evaluations.length, this.#options.history ?? 20);
    recordEvaluation(metrics, name, applied, entry.policy);
    if (applied.apply) metrics.scaleEvents.inc({ service: name, direction: applied.direction });
    const level =
      applied.apply || (applied.mode === 'dry_run' && applied.direction !== 'none') ? 'info' : 'debug';
    this.#log[level](
      {
        service: name,
        current: applied.current,
        desired: applied.desired,
        mode: applied.mode,
        reason: applied.reason,
      },
      'evaluation',
    );
    return applied;
  }

  /** How the webapp can route to the service's pool, after parking it or not; undefined when unknown. */
  async #route(name: string, entry: Entry): Promise<PoolRoute | undefined> {
    const parking = this.#options.parking;
    if (!parking) return undefined;
    try {
      return await parking.sync(entry.pool, {
        parkable: this.#parkable.has(entry.pool),
        languages: entry.languages,
      });
    } catch (error) {
      // Redis is away: the queue check fails too and holds the count, so no floor is needed to be safe.
      this.#log.debug({ err: error, service: name }, 'pool announcement unreadable');
      return undefined;
    }
  }

  /** `changed`: the count changed, or a scale-in began retiring executors. */
  async #apply(
    name: string,
    entry: Entry,
    evaluation: Evaluation,
    usesQueue: boolean,
  ): Promise<{ applied: Evaluation; changed: boolean }> {
    const retirer = this.#options.retirer;
    if (evaluation.direction === 'up') {
      // Load came back: a scale-in in progress is given up; its executors exit and Swarm restarts them.
      if (retirer && entry.scaleIn) {
        await retirer.abandon(entry.scaleIn, 'load came back');
        entry.scaleIn = undefined;
      }
      const done = await entry.target.setReplicas(evaluation.desired, evaluation.current);
      return this.#written(evaluation, done);
    }
    if (!retirer || !usesQueue) {
      const done = await entry.target.setReplicas(evaluation.desired, evaluation.current);
      return this.#written(evaluation, done);
    }
    if (entry.scaleIn) {
      return {
        applied: {
          ...evaluation,
          apply: false,
          reason: `${evaluation.reason}; a scale-in is already retiring executors`,
        },
        changed: false,
      };
    }
    const asked = await retirer.begin(
      name,
      evaluation.current,
      evaluation.current - evaluation.desired,
      this.#now(),
    );
    if (asked === 0) {
      // No live executor to retire (they are all gone or starting): the count can drop without
      // stopping a run, since no task holds one.
      const done = await entry.target.setReplicas(evaluation.desired, evaluation.current);
      return this.#written(evaluation, done);
    }
    entry.scaleIn = await retirer.pending(name);
    // The count drops as each asked executor exits (Retirer.progress), not now.
    return {
      applied: {
        ...evaluation,
        apply: false,
        reason: `${evaluation.reason}; retiring ${asked} executor(s) first`,
      },
      changed: true,
    };
  }

  #written(evaluation: Evaluation, done: boolean): { applied: Evaluation; changed: boolean } {
    return done
      ? { applied: evaluation, changed: true }
      : {
          applied: {
            ...evaluation,
            apply: false,
            reason: `${evaluation.reason}; the count changed meanwhile`,
          },
          changed: false,
        };
  }

  status(): ServiceAutoscaleStatus[] {
    return [...this.#services.entries()].map(([service, entry]) => ({
      service,
      policy: entry.policy,
      scaleIn: entry.scaleIn,
      lastError: entry.lastError,
      evaluations: entry.evaluations,
    }));
  }

  /** Idempotent; waits for evaluations in flight. */
  async close(): Promise<void> {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#setState('closing');
    const running: Promise<void>[] = [];
    for (const entry of this.#services.values()) {
      clearTimeout(entry.timer);
      if (entry.running) running.push(entry.running);
      running.push(entry.turn.then(() => undefined));
    }
    running.push(this.#releasing);
    await Promise.allSettled(running);
    this.#setState('closed');
  }
}
