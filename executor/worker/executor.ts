import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { PublishedLanguage } from '../../common/languages.js';
import { redisKeys } from '../../common/keys.js';
import { runCloseSteps } from '../../common/lifecycle/close-steps.js';
import type { Logger } from '../../common/logger.js';
import { DEFAULT_POOL, poolQueueName } from '../../common/pools.js';
import type { SubmissionJobData } from '../../common/submission.js';
import type { SubmissionStore } from '../../common/submissions-store.js';
import type { InstalledLanguage } from '../languages/types.js';
import { Heartbeat } from './heartbeat.js';
import { JobRunner, type JudgeRun } from './job-runner.js';
import { createExecutorMetrics } from './metrics.js';
import type { LeaveCause } from './stop.js';

export type ExecutorState = 'starting' | 'running' | 'draining' | 'stopped';

export interface ExecutorOptions {
  readonly id: string;
  readonly prefix: string;
  /** Concurrent runs; should equal the sandbox's slots. */
  readonly slots: number;
  /**
   * Jobs held beyond `slots`; should equal the sandbox's standby slots. They wait in the sandbox, files
   * in place, and start the moment a run ends.
   */
  readonly standbySlots: number;
  /** How soon the job of a killed executor is delivered again. */
  readonly lockDurationMs: number;
  /** The pool whose queue this executor takes jobs from (common/pools.ts). Default `default`. */
  readonly pool?: string;
  readonly store: SubmissionStore;
  /** Fails fast; for events, heartbeats and the language list. */
  readonly redis: Redis;
  /** Retries forever; the worker duplicates it for its blocking reads. */
  readonly workerRedis: Redis;
  /** Retries forever; subscribed to cancel notices. Its creator closes it, after the executor. */
  readonly subscriber: Redis;
  /** The languages this executor serves, as announced for its pool. */
  readonly languages: {
    list(): InstalledLanguage[];
    resolve(idOrAlias: string): InstalledLanguage | undefined;
  };
  /** Judges one submission; `executor/main.ts` binds the judge pipeline to the sandbox and compile cache. */
  readonly judge: JudgeRun;
  readonly registry: Registry;
  readonly logger: Logger;
}

export function publishedLanguages(list: readonly InstalledLanguage[]): PublishedLanguage[] {
  return list.map((l) => ({
    id: l.id,
    name: l.name,
    aliases: [...l.aliases],
    version: l.installedVersion,
    available: l.available,
    unavailableReason: l.unavailableReason,
    sourceFile: l.sourceFile,
    compiled: l.compile !== null,
    editorMode: l.editorMode,
    starter: l.starter,
    starterStdin: l.starterStdin,
  }));
}

/**
 * One executor process's worker: takes submission jobs with N concurrent slots, stops runs that are
 * cancelled, announces itself, and drains on shutdown (finish within the grace, else hand jobs back).
 */
export class Executor {
  private stateValue: ExecutorState = 'starting';
  private worker: Worker<SubmissionJobData, void, 'run'> | undefined;
  private jobs: JobRunner | undefined;
  private readonly heartbeat: Heartbeat;
  private readonly keys;
  private closing: Promise<void> | undefined;
  private onCancel: ((channel: string, id: string) => void) | undefined;

  constructor(private readonly options: ExecutorOptions) {
    this.keys = redisKeys(options.prefix);
    this.heartbeat = new Heartbeat(
      options.redis,
      this.keys,
      {
        id: options.id,
        slots: options.slots,
        busy: () => this.busySlots,
        state: () => this.stateValue,
        pool: options.pool ?? DEFAULT_POOL,
        languages: publishedLanguages(options.languages.list()),
      },
      options.logger.child({ component: 'heartbeat' }),
    );
  }

  get state(): ExecutorState {
    return this.stateValue;
  }

  /** Slots in use: jobs held, less those waiting on standby, which hold no slot of their own. */
  get busySlots(): number {
    return this.jobs?.busySlots ?? 0;
  }

  private transition(state: ExecutorState): void {
    this.options.logger.info({ from: this.stateValue, to: state }, 'executor state');
    this.stateValue = state;
  }

  async start(): Promise<void> {
    const { options } = this;
    const metrics = createExecutorMetrics(options.registry, {
      slots: options.slots,
      busySlots: () => this.busySlots,
    });

    const jobs = new JobRunner({
      executorId: options.id,
      store: options.store,
      redis: options.redis,
      keys: this.keys,
      resolveLanguage: (id) => options.languages.resolve(id),
      judge: options.judge,
      logger: options.logger.child({ component: 'job' }),
      metrics,
    });
    this.jobs = jobs;
    this.onCancel = (_channel: string, id: string) => jobs.cancel(id);
    options.subscriber.on('message', this.onCancel);
    await options.subscriber.subscribe(this.keys.cancelChannel);

    const queue = poolQueueName(options.pool ?? DEFAULT_POOL);
    this.worker = new Worker<SubmissionJobData, void, 'run'>(queue, jobs.process, {
      connection: options.workerRedis,
      prefix: options.prefix,
      concurrency: options.slots + options.standbySlots,
      lockDuration: options.lockDurationMs,
      stalledInterval: Math.max(1_000, Math.floor(options.lockDurationMs / 2)),
      // A job whose executors keep dying is more likely a machine problem than the job's; allow two.
      maxStalledCount: 2,
      autorun: false,
    });
    this.worker.on('error', (error) => options.logger.warn({ err: error }, 'worker error'));
    this.worker.on('failed', jobs.failed);
    await this.heartbeat.start();
    void this.worker.run().catch((error: unknown) => options.logger.error({ err: error }, 'worker stopped'));
    await this.worker.waitUntilReady();
    this.transition('running');
  }

  /**
   * Stops taking jobs, lets running ones finish for up to `graceMs`, then hands the rest back to the
   * queue, and closes what the executor created (its worker and heartbeat; the connections it was given
   * stay open for their creator to close). Idempotent: the first call's grace and cause hold.
   */
  close(graceMs: number, cause: LeaveCause = 'stop'): Promise<void> {
    this.closing ??= (async () => {
      this.transition('draining');
      const { worker, jobs } = this;
      if (worker && jobs) {
        jobs.leave(cause);
        const closed = worker.close();
        const timer = setTimeout(() => {
          if (jobs.held > 0) this.options.logger.warn({ jobs: jobs.held }, 'grace over: handing jobs back');
          jobs.handBackAll();
        }, graceMs);
        await closed.finally(() => clearTimeout(timer));
      }
      await runCloseSteps(
        [
          ['heartbeat', () => this.heartbeat.close()],
          ['cancel listener', () => this.onCancel && this.options.subscriber.off('message', this.onCancel)],
        ],
        this.options.logger,
      );
      this.transition('stopped');
    })();
    return this.closing;
  }
}
