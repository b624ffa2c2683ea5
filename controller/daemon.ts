/**
 * The level-triggered loop: every trigger (start, file change, SIGHUP, Docker event, periodic resync)
 * asks for one more pass; passes never overlap and triggers during a pass coalesce into one follow-up.
 * An invalid file never replaces the last good desired state.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { parseDurationMs } from '../common/units.js';
import { formatIssue, loadDesired, type DesiredIssue } from './desired/load.js';
import type { DesiredFile } from './desired/schema.js';
import type { ControllerMetrics } from './reconcile/metrics.js';
import type { Reconciler } from './reconcile/reconciler.js';
import { conditionsOf, updateConditions, type Condition, type Standing } from './status/conditions.js';

export type DaemonState = 'idle' | 'running' | 'closing' | 'closed';
export type Trigger = 'start' | 'file' | 'sighup' | 'docker-event' | 'resync' | 'retry';

export interface DaemonOptions {
  readonly file: string;
  readonly reconciler: Reconciler;
  readonly logger: Logger;
  readonly metrics: ControllerMetrics;
  /** Docker client for the event stream; without it only the other triggers run. */
  readonly docker?: Docker;
  /** Used when the file sets no `resync_interval`. Default 30 s. */
  readonly defaultResyncMs?: number;
  /** Delay before the follow-up pass when a pass left actions for later. Default 2 s. */
  readonly retryMs?: number;
  /** Told of every newly loaded desired state (the autoscaler takes its policies from it). */
  readonly onDesired?: (desired: DesiredFile) => void;
}

/** What the last pass did; `invalid`: there was no valid desired state to apply. */
export interface PassResult {
  readonly result: 'ok' | 'partial' | 'error' | 'invalid';
  readonly applied: number;
  readonly failed: number;
  readonly deferred: number;
  /** The pass's own failure, for `error`. */
  readonly error: string | undefined;
}

export interface DaemonStatus {
  readonly state: DaemonState;
  readonly file: string;
  readonly generation: number;
  readonly lastPassAt: string | undefined;
  readonly lastPassResult: PassResult | undefined;
  readonly fileErrors: readonly DesiredIssue[];
  /** The controller's own: `Ready` once a pass applied everything; `Stalled` while the file is invalid. */
  readonly conditions: readonly Condition[];
}

export class ControllerDaemon {
  readonly #options: DaemonOptions;
  readonly #log: Logger;
  #state: DaemonState = 'idle';
  #desired: DesiredFile | undefined;
  #desiredHash = '';
  #generation = 0;
  #fileErrors: readonly DesiredIssue[] = [];
  #lastPassAt: Date | undefined;
  #lastPassResult: PassResult | undefined;
  #conditions: Condition[] = [];
  #passing: Promise<void> | undefined;
  #again = false;
  #reload = true;
  #timer: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #fileSettle: NodeJS.Timeout | undefined;
  #watcher: FSWatcher | undefined;
  #events: Readable | undefined;

  constructor(options: DaemonOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'daemon' });
  }

  get resyncMs(): number {
    const fromFile = this.#desired?.resync_interval;
    return fromFile !== undefined ? parseDurationMs(fromFile) : (this.#options.defaultResyncMs ?? 30_000);
  }

  status(): DaemonStatus {
    return {
      state: this.#state,
      file: this.#options.file,
      generation: this.#generation,
      lastPassAt: this.#lastPassAt?.toISOString(),
      lastPassResult: this.#lastPassResult,
      fileErrors: this.#fileErrors,
      conditions: this.#conditions,
    };
  }

  /** Healthy while passes keep happening; a wedged loop fails the Swarm healthcheck. */
  healthy(now = Date.now()): boolean {
    if (this.#state !== 'running') return false;
    if (this.#lastPassAt === undefined) return true;
    return now - this.#lastPassAt.getTime() < 3 * this.resyncMs + 60_000;
  }

  #setState(next: DaemonState): void {
    this.#log.info({ from: this.#state, to: next }, 'state');
    this.#state = next;
  }

  async start(): Promise<void> {
    this.#setState('running');
    const dir = dirname(this.#options.file);
    const name = basename(this.#options.file);
    // Watch the folder, not the file: editors and `kubectl cp`-style tools replace files by rename.
    // A file event may arrive while the writer is still writing: settle for a moment first.
    this.#watcher = watch(dir, (_event, changed) => {
      if (changed !== null && changed !== name) return;
      clearTimeout(this.#fileSettle);
      this.#fileSettle = setTimeout(() => this.trigger('file', true), 250);
    });
    this.#watcher.on('error', (error) =>
      this.#log.warn({ err: error }, 'file watch failed; relying on resync'),
    );
    await this.#subscribeDockerEvents();
    this.trigger('start', true);
    await this.#passing;
  }

  async #subscribeDockerEvents(): Promise<void> {
    const docker = this.#options.docker;
    if (!docker) return;
    try {
      const stream = (await docker.getEvents({
        filters: JSON.stringify({ type: ['service', 'node'] }),
      })) as unknown as Readable;
      this.#events = stream;
      stream.on('data', () => this.trigger('docker-event'));
      stream.on('error', (error: Error) => this.#log.warn({ err: error }, 'docker event stream failed'));
      stream.on('end', () => {
        if (this.#state !== 'running') return;
        this.#log.warn('docker event stream ended; resubscribing');
        setTimeout(() => void this.#subscribeDockerEvents(), 1_000).unref();
      });
    } catch (error) {
      this.#log.warn({ err: error }, 'cannot subscribe to docker events; relying on resync');
      setTimeout(() => void this.#subscribeDockerEvents(), 5_000).unref();
    }
  }

  /** Asks for a pass. Docker events are debounced: our own writes cause a burst of them. */
  trigger(reason: Trigger, reload = false): void {
    if (this.#state !== 'running') return;
    if (reload) this.#reload = true;
    if (reason === 'docker-event') {
      clearTimeout(this.#debounce);
      this.#debounce = setTimeout(() => this.trigger('resync'), 500);
      return;
    }
    if (this.#passing) {
      this.#again = true;
      return;
    }
    this.#passing = this.#loop(reason).finally(() => {
      this.#passing = undefined;
    });
  }

  async #loop(first: Trigger): Promise<void> {
    let reason: Trigger = first;
    for (;;) {
      this.#again = false;
      clearTimeout(this.#timer);
      let deferred = 0;
      try {
        deferred = await this.#pass(reason);
      } catch (error) {
        this.#log.error({ err: error }, 'reconcile pass failed');
        const message = error instanceof Error ? error.message : String(error);
        this.#lastPassResult = { result: 'error', applied: 0, failed: 0, deferred: 0, error: message };
        this.#options.metrics.passes.inc({ result: 'error' });
      }
      this.#judge();
      if (this.#state !== 'running') return;
      if (!this.#again) {
        const delay = deferred > 0 ? (this.#options.retryMs ?? 2_000) : this.resyncMs;
        this.#timer = setTimeout(() => this.trigger(deferred > 0 ? 'retry' : 'resync'), delay);
        this.#timer.unref();
        return;
      }
      reason = 'resync';
    }
  }

  async #reloadFile(): Promise<void> {
    this.#reload = false;
    const result = await loadDesired(this.#options.file);
    if (!result.ok) {
      this.#fileErrors = result.issues;
      this.#options.metrics.invalidFiles.inc();
      this.#log.error(
        { issues: result.issues.map(formatIssue), keeping: this.#generation },
        'desired-state file is invalid; keeping the last good state',
      );
      return;
    }
    this.#fileErrors = [];
    const hash = createHash('sha256').update(result.source).digest('hex');
    if (hash !== this.#desiredHash) {
      this.#desiredHash = hash;
      this.#desired = result.desired;
      this.#generation++;
      this.#options.metrics.generation.set(this.#generation);
      this.#log.info({ generation: this.#generation }, 'loaded desired state');
      this.#options.onDesired?.(result.desired);
    }
  }

  async #pass(reason: Trigger): Promise<number> {
    if (this.#reload) await this.#reloadFile();
    const desired = this.#desired;
    if (!desired) {
      this.#lastPassResult = { result: 'invalid', applied: 0, failed: 0, deferred: 0, error: undefined };
      this.#options.metrics.passes.inc({ result: 'invalid' });
      return 0;
    }
    const stop = this.#options.metrics.passSeconds.startTimer();
    const result = await this.#options.reconciler.reconcile(desired, this.#generation, this.#options.file);
    stop();
    this.#lastPassAt = new Date();
    const outcome = result.failed > 0 ? 'partial' : 'ok';
    const { applied, failed, deferred } = result;
    this.#lastPassResult = { result: outcome, applied, failed, deferred, error: undefined };
    this.#options.metrics.passes.inc({ result: outcome });
    this.#log[result.applied + result.failed > 0 ? 'info' : 'debug'](
      { reason, ...result, plan: undefined },
      'pass',
    );
    return result.deferred + result.failed;
  }

  /** The controller's conditions after a pass, from its file and the pass's result. */
  #judge(): void {
    const pass = this.#lastPassResult;
    const counts = pass ? `applied ${pass.applied}, failed ${pass.failed}, deferred ${pass.deferred}` : '';
    let standing: Standing;
    if (this.#fileErrors.length > 0) {
      const kept = this.#desired ? `keeping generation ${this.#generation}` : 'no valid desired state yet';
      standing = {
        kind: 'stalled',
        reason: 'InvalidDesiredState',
        message: `${this.#fileErrors.length} error(s) in ${this.#options.file}; ${kept}`,
      };
    } else if (!pass || pass.result === 'invalid') {
      standing = { kind: 'reconciling', reason: 'Pending', message: 'no valid desired state yet' };
    } else if (pass.result === 'error') {
      standing = { kind: 'stalled', reason: 'PassFailed', message: pass.error ?? 'the pass failed' };
    } else if (pass.result === 'partial') {
      standing = { kind: 'stalled', reason: 'PassFailed', message: counts };
    } else if (pass.deferred > 0) {
      standing = { kind: 'reconciling', reason: 'Progressing', message: counts };
    } else {
      standing = { kind: 'ready', message: counts };
    }
    const generation = this.#desired ? this.#generation : undefined;
    this.#conditions = updateConditions(this.#conditions, conditionsOf(standing, generation));
  }

  /** Idempotent; runs every cleanup step even when one throws. */
  async close(): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'closing') return;
    this.#setState('closing');
    clearTimeout(this.#timer);
    clearTimeout(this.#debounce);
    clearTimeout(this.#fileSettle);
    try {
      this.#watcher?.close();
    } catch (error) {
      this.#log.warn({ err: error }, 'closing the file watcher failed');
    }
    try {
      this.#events?.destroy();
    } catch (error) {
      this.#log.warn({ err: error }, 'closing the docker event stream failed');
    }
    await this.#passing?.catch(() => undefined);
    this.#setState('closed');
  }
}
