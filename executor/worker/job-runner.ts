import type { Job } from 'bullmq';
import { WaitingError } from 'bullmq';
import type { Redis } from 'ioredis';
import { publishEvent } from '../../common/events.js';
import type { RedisKeys } from '../../common/keys.js';
import type { Logger } from '../../common/logger.js';
import type { SubmissionLimits } from '../../common/limits.js';
import { INLINE_NOTICE_BYTES, decodeInput } from '../../common/submission.js';
import type { StoredResult } from '../../common/submission-schema.js';
import type { SubmissionInput, SubmissionJobData } from '../../common/submission.js';
import type { Claim, SubmissionStore } from '../../common/submissions-store.js';
import type { JudgeRequest, JudgeResult } from '../judge/judge.js';
import { runLimits } from '../languages/run-limits.js';
import type { InstalledLanguage } from '../languages/types.js';
import { EventPublisher } from './event-publisher.js';
import { observeJudged, type ExecutorMetrics } from './metrics.js';
import { claimOnceInserted, outlastOutage } from './postgres-patience.js';
import { StopSignal, type LeaveCause, type StopReason } from './stop.js';
import { finishedNotice, internalError, storedResult } from './stored-result.js';

/** The judge a job calls: the judge pipeline bound to the executor's sandbox and compile cache. */
export type JudgeRun = (request: JudgeRequest) => Promise<JudgeResult>;

/**
 * Where a held job is. `standby`: taken, files in place, waiting for a slot; not claimed, so a shutdown
 * hands it back untouched. `judging`: its first program started; it holds a slot. `storing`: judged;
 * the claim decides, then the result is stored once and announced. `stopping`: stopped before its
 * result (cancelled, handed back, or the submission gone).
 */
export type JobState = 'standby' | 'judging' | 'storing' | 'stopping';

export interface JobRunnerOptions {
  readonly executorId: string;
  readonly store: SubmissionStore;
  /** Fails fast; for live events and the count of interrupted runs. */
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly resolveLanguage: (id: string) => InstalledLanguage | undefined;
  readonly judge: JudgeRun;
  readonly logger: Logger;
  readonly metrics: ExecutorMetrics;
}

interface Work {
  readonly language: string;
  readonly input: SubmissionInput;
  readonly limits: SubmissionLimits;
}

/** What the stop of a job needs to hand it back or rethrow its claim's error. */
interface TakenJob {
  readonly job: Job<SubmissionJobData>;
  readonly token: string | undefined;
  readonly claimed: Promise<Claim | undefined>;
  readonly events: EventPublisher;
}

/** One job the runner holds: its state, its stop switch, and the turn its claim waits for. */
interface HeldJob {
  readonly id: string;
  readonly log: Logger;
  readonly controller: AbortController;
  state: JobState;
  /** When its turn came (its first program, or its claim when it ran none). */
  startedAt: number;
  /** True once the turn came; false when the job stopped before it (nothing to claim then). */
  readonly turn: Promise<boolean>;
  readonly settleTurn: (proceed: boolean) => void;
}

/**
 * The life of every submission job an executor holds: claim the row, judge it in the sandbox while
 * streaming events, store the result once, announce it. A job that carries its submission starts
 * judging while the claim is on its way; the claim still decides: no result is stored, and no event
 * published, unless it succeeded. Failures of the program are results; only Redis or Postgres trouble
 * throws (BullMQ then retries), and a shutdown hands the job back to the queue untouched.
 *
 * The runner also keeps the books: which jobs it holds and which of them wait on standby (holding no
 * slot of their own), so that a cancel or a shutdown reaches them.
 */
export class JobRunner {
  readonly #held = new Map<string, HeldJob>();
  /** Set once the executor is leaving: a job that has not started is handed back at once. */
  #leaving: LeaveCause | undefined;

  constructor(private readonly options: JobRunnerOptions) {}

  /** Jobs held, those on standby included. */
  get held(): number {
    return this.#held.size;
  }

  /** Slots in use: jobs held, less those waiting on standby. */
  get busySlots(): number {
    let busy = 0;
    for (const job of this.#held.values()) if (job.state !== 'standby') busy++;
    return busy;
  }

  /** Stops the run of a submission whose submitter cancelled it; nothing when it is not held here. */
  cancel(id: string): void {
    this.#held.get(id)?.controller.abort('cancelled');
  }

  /**
   * The executor is leaving: jobs still waiting for their turn have not started, so another executor can
   * take them now; a job taken from here on is handed back at once. The first cause holds.
   */
  leave(cause: LeaveCause): void {
    this.#leaving ??= cause;
    for (const job of this.#held.values()) if (job.state === 'standby') job.controller.abort('shutdown');
  }

  /** The grace is over: every job held goes back to the queue. */
  handBackAll(): void {
    for (const job of this.#held.values()) job.controller.abort('shutdown');
  }

  /** BullMQ's processor: runs one job through its life. */
  readonly process = async (job: Job<SubmissionJobData>, token?: string): Promise<void> => {
    const held = this.#newHeldJob(job);
    const taken = await this.#take(job, held);
    if (!taken) return;
    const { work, claimed } = taken;
    const events = new EventPublisher(
      this.options.redis,
      this.options.keys,
      held.id,
      held.log,
      claimed.then((claim) => claim !== undefined),
    );
    this.#held.set(held.id, held);
    if (this.#leaving) held.controller.abort('shutdown');
    try {
      events.event({ type: 'state', state: 'running' });
      const { result, language } = await this.#judge(held, work, events);
      await this.#store(held, claimed, result, language, events);
      await events.flush();
    } catch (error) {
      await this.#stopped(held, error, { job, token, claimed, events });
    } finally {
      this.#held.delete(held.id);
    }
  };

  /**
   * BullMQ's `failed` event: an attempt threw (Redis or Postgres trouble) and BullMQ retries it. Out of
   * retries, the job ends with a stated failure, which beats a submission running forever.
   */
  readonly failed = (job: Job<SubmissionJobData> | undefined, error: Error): void => {
    const { logger, store, executorId, redis, keys } = this.options;
    if (!job || error.name === 'WaitingError') return;
    logger.warn({ err: error, submission: job.id }, 'job attempt failed');
    if (job.attemptsMade < (job.opts.attempts ?? 1)) return;
    const result = internalError('the service could not complete this submission');
    void store
      .finish(job.data.id, executorId, result)
      .then((stored) =>
        stored
          ? publishEvent(redis, keys, job.data.id, { type: 'result', verdict: 'internal_error' })
          : undefined,
      )
      .catch((failure: unknown) =>
        logger.error({ err: failure, submission: job.id }, 'could not store the failure'),
      );
  };

  #newHeldJob(job: Job<SubmissionJobData>): HeldJob {
    let settleTurn: (proceed: boolean) => void = () => undefined;
    const turn = new Promise<boolean>((resolve) => (settleTurn = resolve));
    return {
      id: job.data.id,
      log: this.options.logger.child({ submission: job.data.id, attempt: job.attemptsMade + 1 }),
      controller: new AbortController(),
      state: 'standby',
      startedAt: Date.now(),
      turn,
      settleTurn,
    };
  }

  /** Moves a job on; leaving standby is its turn, which starts its clock and lets its claim go ahead. */
  #to(held: HeldJob, state: JobState): void {
    const from = held.state;
    if (from === state) return;
    held.log.debug({ from, to: state }, 'job state');
    held.state = state;
    if (from !== 'standby') return;
    held.startedAt = Date.now();
    held.settleTurn(state !== 'stopping');
  }

  /**
   * The job's work and its claim. A job that carries its submission claims once its turn comes (its
   * row stays queued while it waits on standby); one whose row holds the input (large submissions, rare)
   * claims first, and is skipped when the row is gone or finished.
   */
  async #take(
    job: Job<SubmissionJobData>,
    held: HeldJob,
  ): Promise<{ work: Work; claimed: Promise<Claim | undefined> } | undefined> {
    const { store, executorId, metrics } = this.options;
    const { spec } = job.data;
    let work: Work;
    let claiming: Promise<Claim | undefined>;
    if (spec) {
      work = { language: spec.language, input: decodeInput(spec.input), limits: spec.limits };
      claiming = held.turn.then((proceed) =>
        proceed
          ? claimOnceInserted(store, held.id, executorId, job.timestamp, held.controller.signal, held.log)
          : undefined,
      );
    } else {
      const submission = await store.claimWithInput(held.id, executorId);
      if (!submission) {
        held.log.debug('submission deleted or already finished; skipping');
        return undefined;
      }
      work = submission;
      claiming = Promise.resolve(submission);
    }
    const claimed = claiming.then(
      (claim) => {
        if (!claim) held.controller.abort('gone');
        else if (claim.attempts === 1)
          metrics.queueWaitSeconds.observe(Math.max(0, (held.startedAt - claim.createdAt.getTime()) / 1000));
        return claim;
      },
      (error: unknown) => {
        held.controller.abort('unclaimed');
        throw error;
      },
    );
    // Awaited on every path of the job; this only keeps an early failure from counting as unhandled.
    claimed.catch(() => undefined);
    return { work, claimed };
  }

  /**
   * Judges the submission, streaming its events. A missing language or a broken judge is a result (so
   * the submitter is not left waiting); a stop throws.
   */
  async #judge(
    held: HeldJob,
    work: Work,
    events: EventPublisher,
  ): Promise<{ result: StoredResult; language: string }> {
    const { options } = this;
    const { signal } = held.controller;
    const language = options.resolveLanguage(work.language);
    if (!language?.available) {
      const result = internalError(`${work.language} is not installed on executor ${options.executorId}`);
      return { result, language: language?.id ?? 'unknown' };
    }
    try {
      const judgeStarted = Date.now();
      const judged = await options.judge({
        language,
        files: work.input.files.map((f) => ({ path: f.name, content: f.content })),
        args: work.input.args,
        compilerArgs: work.input.compilerArgs,
        limits: runLimits(work.limits),
        tests: (work.input.tests ?? [{ stdin: work.input.stdin, expectedOutput: null }]).map((t) => ({
          stdin: t.stdin,
          expectedOutput: t.expectedOutput,
        })),
        onEvent: (e) => {
          if (e.type !== 'output' && held.state === 'standby') this.#to(held, 'judging');
          if (e.type === 'compiling') events.event({ type: 'state', state: 'compiling' });
          else if (e.type === 'running') events.event({ type: 'state', state: 'testing', test: e.test });
          else events.output(e.test, e.stream, e.chunk);
        },
        signal,
      });
      if (signal.aborted) throw new StopSignal(signal.reason as StopReason);
      observeJudged(options.metrics, language.id, judged, (Date.now() - judgeStarted) / 1000);
      return { result: storedResult(judged), language: language.id };
    } catch (error) {
      if (error instanceof StopSignal || signal.aborted) throw new StopSignal(signal.reason as StopReason);
      // The judge itself broke (not the program): a result, so the submitter is not left waiting.
      held.log.error({ err: error }, 'judge failed');
      return { result: internalError('the executor could not run this submission'), language: language.id };
    }
  }

  /**
   * Stores the result, only over a successful claim: the claim is what makes the run ours. A job that
   * ran no program (its language is missing, the judge failed) claims now. Then announces it.
   */
  async #store(
    held: HeldJob,
    claimed: Promise<Claim | undefined>,
    result: StoredResult,
    language: string,
    events: EventPublisher,
  ): Promise<void> {
    const { store, executorId, metrics } = this.options;
    this.#to(held, 'storing');
    const claim = await claimed;
    if (!claim) throw new StopSignal('gone');
    // Serialized once: a result can hold megabytes of output, and both the row and the notice need it.
    const resultJson = JSON.stringify(result);
    const stored = await outlastOutage(
      () => store.finish(held.id, executorId, result, resultJson),
      held.controller.signal,
      held.log,
      'result stored',
    );
    if (!stored) {
      held.log.info('result not stored: the submission was deleted or finished elsewhere');
      return;
    }
    // The catalogue's id, not the alias the submitter wrote, so each language is one series.
    const labels = { language, verdict: result.verdict };
    metrics.submissions.inc(labels);
    metrics.runSeconds.observe(labels, (Date.now() - held.startedAt) / 1000);
    events.event(
      { type: 'result', verdict: result.verdict },
      resultJson.length <= INLINE_NOTICE_BYTES
        ? finishedNotice(executorId, claim.attempts, stored, resultJson)
        : undefined,
    );
    held.log.info({ verdict: result.verdict }, 'finished');
  }

  /**
   * A job that stopped before its result: a cancel or a vanished row ends it quietly, a failed claim
   * throws the claim's error (BullMQ retries), a shutdown hands the job back without spending an attempt.
   */
  async #stopped(held: HeldJob, error: unknown, { job, token, claimed, events }: TakenJob): Promise<void> {
    // A job still on standby had not started: handing it back interrupts nothing.
    const started = held.state !== 'standby';
    this.#to(held, 'stopping');
    await events.flush();
    if (!(error instanceof StopSignal)) throw error;
    switch (error.reason) {
      case 'cancelled':
        held.log.info('cancelled');
        return;
      case 'gone':
        held.log.debug('submission deleted or already finished; run dropped');
        return;
      case 'unclaimed':
        // The claim's own error, so BullMQ retries the job.
        await claimed;
        throw error;
      case 'shutdown':
        // Another executor takes it.
        held.log.info('handing the job back');
        await job.moveToWait(token);
        this.options.metrics.handedBack.inc({ reason: 'shutdown' });
        if (started) await this.#countInterrupted(held.log);
        throw new WaitingError();
    }
  }

  /**
   * Counts a run cut short in Redis, where it outlives this executor (which is leaving); the controller
   * exports the count. Best effort: a lost count must not keep the job from going back to the queue.
   */
  async #countInterrupted(log: Logger): Promise<void> {
    const cause = this.#leaving ?? 'stop';
    log.warn({ cause }, 'run interrupted: the executor is leaving');
    await this.options.redis
      .hincrby(this.options.keys.runsInterrupted, cause, 1)
      .catch((error: unknown) => log.warn({ err: error }, 'could not count the interrupted run'));
  }
}
