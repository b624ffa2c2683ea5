/**
 * Applies a plan to the Swarm, one object at a time, in the planner's order. Each write re-reads the
 * object it changes, so a stale plan never overwrites someone else's newer write; failures back off
 * per object and are reported, never thrown out of the pass.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { DesiredFile } from '../desired/schema.js';
import { ownDiffs, plan, type Action, type ActualState, type Plan } from '../plan/planner.js';
import { isOutOfSequence, SwarmClient } from '../swarm/docker.js';
import {
  buildServiceSpec,
  diffSpecs,
  initialReplicas,
  isJob,
  isManaged,
  JOB_MAX_ATTEMPTS,
  mergeForUpdate,
  objectName,
  restartsTasks,
  type EngineFeatures,
} from '../swarm/spec.js';
import { conditionsOf, updateConditions, type Condition, type Standing } from '../status/conditions.js';
import { judgeJob, jobStanding, type JobRun } from '../status/job.js';
import { Backoff } from './backoff.js';
import type { ControllerMetrics } from './metrics.js';

export interface ServiceStatus {
  name: string;
  desiredReplicas: number;
  runningReplicas: number;
  image: string;
  /** `Ready` always; `Reconciling` or `Stalled` while one holds (controller/status/conditions.ts). */
  conditions: Condition[];
  lastError: string | undefined;
  lastAppliedGeneration: number | undefined;
  /** For a job service (`mode: job`): its current run. */
  job: JobRun | undefined;
}

export interface ControllerEvent {
  readonly at: string;
  readonly object: string;
  readonly message: string;
}

export interface ReconcileResult {
  readonly plan: Plan;
  readonly applied: number;
  readonly failed: number;
  /** Actions left for a soon-to-come pass: dependencies not ready yet, backing off. */
  readonly deferred: number;
  /** Actions the controller refuses: unmanaged name clash, paused or rolling-back update. */
  readonly blocked: number;
}

export interface ReconcilerOptions {
  readonly client: SwarmClient;
  readonly logger: Logger;
  readonly metrics?: ControllerMetrics;
  /** How long a write waits for its dependencies to run healthy before deferring. Default 0 (defer at once). */
  readonly dependencyWaitMs?: number;
  /** Retries of a version-guarded update that Swarm refused as out of sequence. Default 5. */
  readonly conflictRetries?: number;
  readonly backoff?: Backoff;
  /** Services whose replica count is held by another part for now (the rebalancer, mid-move). */
  readonly heldReplicas?: () => ReadonlySet<string>;
}

export class Reconciler {
  readonly #client: SwarmClient;
  readonly #logger: Logger;
  readonly #metrics: ControllerMetrics | undefined;
  readonly #dependencyWaitMs: number;
  readonly #conflictRetries: number;
  readonly #backoff: Backoff;
  readonly #heldReplicas: () => ReadonlySet<string>;
  #features: EngineFeatures | undefined;
  readonly #status = new Map<string, ServiceStatus>();
  readonly #events: ControllerEvent[] = [];
  /** Generation at which each service was last written or confirmed; an update after that is drift. */
  readonly #confirmed = new Map<string, number>();
  /** Failed tasks of each job already logged and counted, by task id. */
  readonly #jobFailuresSeen = new Map<string, Set<string>>();

  constructor(options: ReconcilerOptions) {
    this.#client = options.client;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#dependencyWaitMs = options.dependencyWaitMs ?? 0;
    this.#conflictRetries = options.conflictRetries ?? 5;
    this.#backoff = options.backoff ?? new Backoff();
    this.#heldReplicas = options.heldReplicas ?? (() => new Set());
  }

  async features(): Promise<EngineFeatures> {
    this.#features ??= await this.#client.features();
    return this.#features;
  }

  async plan(desired: DesiredFile): Promise<{ plan: Plan; actual: ActualState }> {
    const actual = await this.#client.readActual(desired.stack);
    const options = { features: await this.features(), heldReplicas: this.#heldReplicas() };
    return { plan: plan(desired, actual, options), actual };
  }

  status(): { services: ServiceStatus[]; events: ControllerEvent[] } {
    return { services: [...this.#status.values()], events: [...this.#events] };
  }

  #event(object: string, message: string): void {
    this.#events.push({ at: new Date().toISOString(), object, message });
    if (this.#events.length > 100) this.#events.shift();
  }

  /**
   * One level-triggered pass: plan from a fresh read, then apply every action whose object is not
   * backing off. `sourceFile` resolves `file:` secrets relative to the desired-state file.
   */
  async reconcile(desired: DesiredFile, generation: number, sourceFile: string): Promise<ReconcileResult> {
    const features = await this.features();
    const { plan: current } = await this.plan(desired);
    let applied = 0;
    let failed = 0;
    let deferred = 0;
    let blocked = 0;
    for (const action of current.actions) {
      if (action.kind === 'noop') {
        if (action.object === 'service') this.#confirmed.set(action.name, generation);
        continue;
      }
      if (action.kind === 'blocked') {
        blocked++;
        this.#logger.warn(
          { object: action.object, target: action.name, reason: action.reason },
          'not touching object',
        );
        this.#metrics?.blocked.inc({ object: action.object });
        this.#event(action.name, `blocked: ${action.reason}`);
        continue;
      }
      const key = `${action.object}/${action.name}`;
      const wait = this.#backoff.remaining(key);
      if (wait > 0) {
        deferred++;
        continue;
      }
      try {
        const done = await this.#apply(desired, action, generation, sourceFile, features);
        if (done) {
          applied++;
          this.#backoff.succeeded(key);
        } else {
          deferred++;
        }
      } catch (error) {
        failed++;
        const delay = this.#backoff.failed(key);
        const message = error instanceof Error ? error.message : String(error);
        this.#logger.error(
          { err: error, object: action.object, target: action.name, retryInMs: delay },
          'apply failed',
        );
        this.#metrics?.errors.inc({ object: action.object });
        this.#event(action.name, `error: ${message}`);
        const status = this.#status.get(action.name);
        if (status) status.lastError = message;
        else if (action.object === 'service') {
          this.#setStatus(action.name, { lastError: message });
          this.#setStanding(action.name, { kind: 'stalled', reason: 'ApplyFailed', message }, generation);
        }
      }
    }
    await this.#refreshStatus(desired, current, generation);
    return { plan: current, applied, failed, deferred, blocked };
  }

  async #apply(
    desired: DesiredFile,
    action: Exclude<Action, { kind: 'noop' | 'blocked' }>,
    generation: number,
    sourceFile: string,
    features: EngineFeatures,
  ): Promise<boolean> {
    const stack = desired.stack;
    const full = objectName(stack, action.name);
    const log = this.#logger.child({ object: action.object, target: full });
    if (action.kind === 'remove') {
      await this.#removeManaged(action.object, full, stack);
      log.info('removed');
      this.#event(action.name, `removed ${action.object}`);
      this.#metrics?.actions.inc({ kind: 'remove', object: action.object });
      if (action.object === 'service') this.#status.delete(action.name);
      return true;
    }
    if (action.object === 'network' && action.kind === 'create') {
      await this.#client.createNetwork(full, stack, desired.networks?.[action.name] ?? {});
      log.info('created');
      this.#metrics?.actions.inc({ kind: 'create', object: 'network' });
      return true;
    }
    if (action.object === 'secret' && action.kind === 'create') {
      const def = desired.secrets?.[action.name] ?? {};
      const value =
        def.file !== undefined
          ? await readFile(resolve(dirname(sourceFile), def.file))
          : SwarmClient.generatedSecret();
      await this.#client.createSecret(full, stack, value, def.labels);
      log.info({ generated: def.file === undefined }, 'created');
      this.#metrics?.actions.inc({ kind: 'create', object: 'secret' });
      return true;
    }
    if (!(await this.#dependenciesReady(desired, action.dependsOn))) {
      log.info({ dependsOn: action.dependsOn }, 'waiting for dependencies to run healthy');
      this.#setStanding(
        action.name,
        { kind: 'reconciling', reason: 'DependencyNotReady', message: 'waiting for dependencies' },
        generation,
      );
      return false;
    }
    for (let attempt = 0; ; attempt++) {
      // Re-read just before writing: the plan may be seconds old and the version must be current.
      const actual = await this.#client.readActual(stack);
      const secretIds = new Map(actual.secrets.map((secret) => [secret.name, secret.id]));
      const networkNames = new Map(actual.networks.map((network) => [network.id, network.name]));
      const want = buildServiceSpec(desired, action.name, secretIds, features);
      const found = actual.services.find((service) => service.name === full);
      try {
        if (!found) {
          await this.#client.createService(want);
          log.info('created');
          this.#event(action.name, 'created service');
          this.#metrics?.actions.inc({ kind: 'create', object: 'service' });
        } else {
          if (!isManaged(found.labels, stack)) return false;
          // The plan's filter again, on the fresh read: the count may have been taken since the plan.
          const diffs = ownDiffs(
            diffSpecs(want, found.spec, { networkNames }),
            desired,
            action.name,
            this.#heldReplicas(),
          );
          if (diffs.length === 0) return true;
          await this.#client.updateService(found.id, found.version, mergeForUpdate(found.spec, want, diffs));
          const drift = this.#confirmed.get(action.name) === generation;
          const fields = diffs.map((diff) => diff.field);
          log.info(
            { fields, drift, restartsTasks: restartsTasks(diffs) },
            drift ? 'drift corrected' : 'updated',
          );
          this.#event(action.name, `${drift ? 'drift corrected' : 'updated'}: ${fields.join(', ')}`);
          this.#metrics?.actions.inc({ kind: 'update', object: 'service' });
          if (drift) for (const field of fields) this.#metrics?.drift.inc({ service: action.name, field });
        }
        this.#confirmed.set(action.name, generation);
        this.#setStatus(action.name, { lastAppliedGeneration: generation, lastError: undefined });
        return true;
      } catch (error) {
        if (!isOutOfSequence(error) || attempt >= this.#conflictRetries) throw error;
        this.#metrics?.conflicts.inc();
        log.warn({ attempt: attempt + 1 }, 'update out of sequence; re-reading and retrying');
      }
    }
  }

  async #removeManaged(object: 'service' | 'network' | 'secret', full: string, stack: string): Promise<void> {
    // Checked again at write time: the object may have been replaced by an unmanaged one since the plan.
    const actual = await this.#client.readActual(stack);
    const list =
      object === 'service' ? actual.services : object === 'network' ? actual.networks : actual.secrets;
    const found = list.find((item) => item.name === full);
    if (found && isManaged(found.labels, stack)) await this.#client.remove(object, found.id);
  }

  async #dependenciesReady(desired: DesiredFile, dependsOn: readonly string[]): Promise<boolean> {
    const deadline = Date.now() + this.#dependencyWaitMs;
    for (;;) {
      let ready = true;
      for (const dependency of dependsOn) {
        const def = desired.services[dependency];
        if (isJob(def)) {
          // A migration must have finished before what reads its schema starts or changes.
          const run = await this.#jobRun(desired, dependency);
          if (run?.state !== 'complete') ready = false;
          continue;
        }
        const wanted = def ? initialReplicas(def) : 1;
        const running = await this.#client.runningTasks(objectName(desired.stack, dependency));
        if (running < Math.min(wanted, 1)) ready = false;
      }
      if (ready) return true;
      if (Date.now() >= deadline) return false;
      await sleep(500);
    }
  }

  async #jobRun(desired: DesiredFile, name: string): Promise<JobRun | undefined> {
    const found = await this.#client.jobTasks(objectName(desired.stack, name));
    if (!found) return undefined;
    const maxAttempts = desired.services[name]?.restart_policy?.max_attempts ?? JOB_MAX_ATTEMPTS;
    return judgeJob(found.iteration, found.tasks, maxAttempts);
  }

  /** Logs and counts what changed in a job's run since the last look: a failed task, an outcome. */
  #reportJob(name: string, run: JobRun, previous: JobRun | undefined): void {
    const log = this.#logger.child({ object: 'service', target: name, iteration: run.iteration });
    const seen = this.#jobFailuresSeen.get(name) ?? new Set<string>();
    this.#jobFailuresSeen.set(name, seen);
    for (const failure of run.failures) {
      const id = failure.slice(0, failure.indexOf(':'));
      if (seen.has(id)) continue;
      seen.add(id);
      log.error({ failure, attempts: run.attempts }, 'job task failed');
      this.#event(name, `job run ${run.iteration}: task failed: ${failure}`);
      this.#metrics?.jobFailedTasks.inc({ service: name });
    }
    if (previous?.iteration === run.iteration && previous.state === run.state) return;
    if (run.state === 'complete') {
      log.info({ attempts: run.attempts, completedAt: run.completedAt }, 'job completed');
      this.#event(name, `job run ${run.iteration} completed`);
    } else if (run.state === 'failed') {
      log.error({ attempts: run.attempts, failures: run.failures }, 'job failed');
      this.#event(name, `job run ${run.iteration} failed after ${run.attempts} attempts`);
    } else {
      log.info({ state: run.state, attempts: run.attempts }, `job ${run.state}`);
    }
    for (const state of ['pending', 'running', 'complete', 'failed'] as const)
      this.#metrics?.jobState.set({ service: name, state }, state === run.state ? 1 : 0);
  }

  #setStatus(name: string, patch: Partial<ServiceStatus>): void {
    const current = this.#status.get(name) ?? {
      name,
      desiredReplicas: 0,
      runningReplicas: 0,
      image: '',
      conditions: [],
      lastError: undefined,
      lastAppliedGeneration: undefined,
      job: undefined,
    };
    this.#status.set(name, { ...current, ...patch });
  }

  /** Judges a service's conditions anew; each keeps its transition time while its status holds. */
  #setStanding(name: string, standing: Standing, generation: number): void {
    const previous = this.#status.get(name)?.conditions ?? [];
    this.#setStatus(name, { conditions: updateConditions(previous, conditionsOf(standing, generation)) });
  }

  async #refreshStatus(desired: DesiredFile, current: Plan, generation: number): Promise<void> {
    const pending = new Map(current.actions.filter((a) => a.object === 'service').map((a) => [a.name, a]));
    for (const [name, def] of Object.entries(desired.services)) {
      const action = pending.get(name);
      const previous = this.#status.get(name);
      let running = 0;
      // For an autoscaled service this is its floor; the autoscaler's status has the live target.
      let desiredReplicas = initialReplicas(def);
      let standing: Standing;
      let job: JobRun | undefined;
      if (isJob(def)) {
        // A job asks for one completed task, not running ones: a completed run is Ready, not drift.
        desiredReplicas = 1;
        try {
          job = await this.#jobRun(desired, name);
        } catch {
          job = previous?.job;
        }
        if (job) this.#reportJob(name, job, previous?.job);
        running = job?.state === 'complete' ? 1 : 0;
        standing = job
          ? jobStanding(job)
          : { kind: 'reconciling', reason: 'Progressing', message: 'job not created yet' };
      } else {
        try {
          running = await this.#client.runningTasks(objectName(desired.stack, name));
        } catch {
          // Status is best effort; the next pass refreshes it.
        }
        const tasks = `${running}/${desiredReplicas} tasks running`;
        standing =
          running >= desiredReplicas
            ? { kind: 'ready', message: tasks }
            : { kind: 'reconciling', reason: 'Progressing', message: tasks };
      }
      if (action?.kind === 'blocked') {
        standing = { kind: 'stalled', reason: 'Blocked', message: action.reason };
        this.#metrics?.alerts.set({ service: name }, 1);
      } else {
        this.#metrics?.alerts.set({ service: name }, 0);
      }
      if (previous?.lastError !== undefined && this.#backoff.failures(`service/${name}`) > 0) {
        standing = { kind: 'stalled', reason: 'ApplyFailed', message: previous.lastError };
      }
      this.#setStatus(name, { desiredReplicas, runningReplicas: running, image: def.image, job });
      this.#setStanding(name, standing, generation);
      this.#metrics?.replicas.set({ service: name, kind: 'desired' }, desiredReplicas);
      this.#metrics?.replicas.set({ service: name, kind: 'running' }, running);
    }
    for (const name of this.#status.keys()) if (!(name in desired.services)) this.#status.delete(name);
  }
}
