import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { publishEvent } from '../../common/events.js';
import type { PublishedLanguage } from '../../common/languages.js';
import { redisKeys } from '../../common/keys.js';
import type { Logger } from '../../common/logger.js';
import { DEFAULT_POOL, poolQueueName } from '../../common/pools.js';
import type { SubmissionJobData } from '../../common/submission.js';
import type { SubmissionStore } from '../../common/submissions-store.js';
import type { InstalledLanguage } from '../languages/types.js';
import type { Sandbox } from '../sandbox/types.js';
import { Heartbeat } from './heartbeat.js';
import type { JudgeFunction } from './judge-contract.js';
import { createExecutorMetrics } from './metrics.js';
import { createProcessor, type LeaveCause } from './processor.js';

export type ExecutorState = 'starting' | 'running' | 'draining' | 'stopped';

export interface ExecutorOptions<Cache> {
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
  /** Retries forever; subscribed to cancel notices. */
  readonly subscriber: Redis;
  readonly sandbox: Sandbox;
  /** The languages this executor serves, as announced for its pool. */
  readonly languages: {
    list(): InstalledLanguage[];
    resolve(idOrAlias: string): InstalledLanguage | undefined;
  };
  readonly judge: JudgeFunction<Cache>;
  readonly cache: Cache | undefined;
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
  }));
}

/**
 * One executor process's worker: takes submission jobs with N concurrent slots, stops runs that are
 * cancelled, announces itself, and drains on shutdown (finish within the grace, else hand jobs back).
 */
export class Executor<Cache> {
  private stateValue: ExecutorState = 'starting';
  private worker: Worker<SubmissionJobData, void, 'run'> | undefined;
  private readonly running = new Map<string, AbortController>();
  private readonly standby = new Set<string>();
  private readonly heartbeat: Heartbeat;
  private readonly keys;
  private closing: Promise<void> | undefined;
  private leaveCause: LeaveCause = 'stop';

  constructor(private readonly options: ExecutorOptions<Cache>) {
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
    return this.running.size - this.standby.size;
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

    options.subscriber.on('message', (_channel: string, id: string) => {
      this.running.get(id)?.abort('cancelled');
    });
    await options.subscriber.subscribe(this.keys.cancelChannel);

    const processor = createProcessor({
      executorId: options.id,
      store: options.store,
      redis: options.redis,
      keys: this.keys,
      sandbox: options.sandbox,
      resolveLanguage: (id) => options.languages.resolve(id),
      judge: options.judge,
      cache: options.cache,
      logger: options.logger.child({ component: 'job' }),
      metrics,
      running: this.running,
      standby: this.standby,
      draining: () => this.stateValue === 'draining',
      leaving: () => this.leaveCause,
    });
    const queue = poolQueueName(options.pool ?? DEFAULT_POOL);
    this.worker = new Worker<SubmissionJobData, void, 'run'>(queue, processor, {
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
    this.worker.on('failed', (job, error) => {
      if (!job || error.name === 'WaitingError') return;
      options.logger.warn({ err: error, submission: job.id }, 'job attempt failed');
      if (job.attemptsMade < (job.opts.attempts ?? 1)) return;
      // Out of retries (Postgres or Redis kept failing): a stated failure beats a submission running forever.
      const result = {
        verdict: 'internal_error' as const,
        compile: null,
        tests: [],
        error: 'the service could not complete this submission',
      };
      void options.store
        .finish(job.data.id, options.id, result)
        .then((stored) =>
          stored
            ? publishEvent(options.redis, this.keys, job.data.id, {
                type: 'result',
                verdict: 'internal_error',
              })
            : undefined,
        )
        .catch((failure: unknown) =>
          options.logger.error({ err: failure, submission: job.id }, 'could not store the failure'),
        );
    });
    await this.heartbeat.start();
    void this.worker.run().catch((error: unknown) => options.logger.error({ err: error }, 'worker stopped'));
    await this.worker.waitUntilReady();
    this.transition('running');
  }

  /**
   * Stops taking jobs, lets running ones finish for up to `graceMs`, then hands the rest back to the
   * queue, and closes. Idempotent: the first call's grace and cause hold.
   */
  drain(graceMs: number, cause: LeaveCause = 'stop'): Promise<void> {
    this.closing ??= (async () => {
      this.leaveCause = cause;
      this.transition('draining');
      const worker = this.worker;
      if (worker) {
        const closed = worker.close();
        // Jobs still waiting for their turn have not started: another executor can take them now.
        for (const id of this.standby) this.running.get(id)?.abort('shutdown');
        const timer = setTimeout(() => {
          if (this.running.size > 0)
            this.options.logger.warn({ jobs: this.running.size }, 'grace over: handing jobs back');
          for (const controller of this.running.values()) controller.abort('shutdown');
        }, graceMs);
        await closed.finally(() => clearTimeout(timer));
      }
      const steps: (() => Promise<unknown>)[] = [
        () => this.heartbeat.stop(),
        () => this.options.subscriber.quit(),
      ];
      for (const step of steps)
        await step().catch((error: unknown) => this.options.logger.warn({ err: error }, 'close step failed'));
      this.transition('stopped');
    })();
    return this.closing;
  }
}
