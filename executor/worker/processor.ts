import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from 'bullmq';
import { WaitingError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../common/keys.js';
import type { Logger } from '../../common/logger.js';
import { classifyOutage } from '../../common/outage.js';
import type { SubmissionLimits } from '../../common/limits.js';
import { INLINE_NOTICE_BYTES, decodeInput } from '../../common/submission.js';
import type {
  FinishedNotice,
  StoredResult,
  StoredRun,
  SubmissionInput,
  SubmissionJobData,
} from '../../common/submission.js';
import type { Claim, SubmissionStore } from '../../common/submissions-store.js';
import type { InstalledLanguage } from '../languages/types.js';
import type { RunResult, Sandbox } from '../sandbox/types.js';
import { EventPublisher } from './event-publisher.js';
import type { JudgeFunction, JudgeResult } from './judge-contract.js';
import type { ExecutorMetrics } from './metrics.js';
import { runLimits } from './run-limits.js';

export interface ProcessorDeps<Cache> {
  readonly executorId: string;
  readonly store: SubmissionStore;
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly sandbox: Sandbox;
  readonly resolveLanguage: (id: string) => InstalledLanguage | undefined;
  readonly judge: JudgeFunction<Cache>;
  readonly cache: Cache | undefined;
  readonly logger: Logger;
  readonly metrics: ExecutorMetrics;
  /** Controllers of the jobs held, by submission id, so that a cancel notice can stop one. */
  readonly running: Map<string, AbortController>;
  /** Ids of the held jobs whose turn has not come: they wait on a standby slot and hold no slot of their own. */
  readonly standby: Set<string>;
  /** True once the executor is shutting down: a job that has not started is handed back at once. */
  readonly draining: () => boolean;
  /** Why the executor is leaving, for the count of runs it cut short. */
  readonly leaving: () => LeaveCause;
}

/** An executor leaves because the autoscaler retired it, or because it was stopped (SIGTERM). */
export type LeaveCause = 'retire' | 'stop';

/**
 * Why a run was stopped before its result: cancelled by the submitter, the executor shutting down, the
 * claim finding the submission deleted or finished (`gone`), or the claim itself failing (`unclaimed`).
 */
export type StopReason = 'cancelled' | 'shutdown' | 'gone' | 'unclaimed';

export class StopSignal extends Error {
  override readonly name = 'StopSignal';
  constructor(readonly reason: StopReason) {
    super(reason);
  }
}

export function storedRun(r: RunResult): StoredRun {
  return {
    verdict: r.verdict,
    timeLimit: r.timeLimit,
    exitCode: r.exitCode,
    signal: r.signal,
    cpuTimeMs: r.cpuTimeMs,
    wallTimeMs: r.wallTimeMs,
    memoryBytes: r.memoryBytes,
    stdout: r.stdout.toString('base64'),
    stderr: r.stderr.toString('base64'),
    stdoutTruncated: r.stdoutTruncated,
    stderrTruncated: r.stderrTruncated,
    error: r.error,
  };
}

function internalError(error: string): StoredResult {
  return { verdict: 'internal_error', compile: null, tests: [], error };
}

/** Waits between claims of a row that is not there yet (its insert was still committing). */
const CLAIM_RETRY_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000];
/** A job older than this whose row is missing was deleted, not slow to arrive. */
const CLAIM_PATIENCE_MS = 10_000;

/**
 * Claims the row of a job that carries its submission. The webapp queues such a job while it inserts
 * the row, so the first claim can come before the insert is visible: a missing row is tried again for
 * a while, a row in another state (finished, cancelled) is not ours at once.
 */
async function claimOnceInserted(
  store: SubmissionStore,
  id: string,
  executor: string,
  enqueuedAt: number,
  signal: AbortSignal,
  log: Logger,
): Promise<Claim | undefined> {
  // The claim can come after the run (a submission whose judge started no program): waiting out an
  // outage here is what keeps that run from being repeated.
  const claim = (): Promise<Claim | undefined> =>
    outlastOutage(() => store.claim(id, executor), signal, log, 'claimed');
  for (let attempt = 0; ; attempt++) {
    const claimed = await claim();
    if (claimed) return claimed;
    // The row may have been committed since that claim: one more claim tells.
    if (await outlastOutage(() => store.exists(id), signal, log, 'row found')) return claim();
    const wait = CLAIM_RETRY_MS[attempt];
    if (wait === undefined || Date.now() - enqueuedAt > CLAIM_PATIENCE_MS) return undefined;
    await sleep(wait);
  }
}

/** Longest pause between attempts while Postgres is away. */
const OUTAGE_RETRY_MAX_MS = 2_000;

/**
 * Runs a statement again for as long as Postgres is away: a program that ran must not run again
 * because its claim or its result could not be written (the job would be retried, or the submission
 * swept up and run anew). The job's lock lives in Redis, so waiting here keeps the job ours meanwhile.
 * Only a stop (a shutdown whose grace ran out, a cancel) gives up.
 */
async function outlastOutage<T>(
  operation: () => Promise<T>,
  signal: AbortSignal,
  log: Logger,
  what: string,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const value = await operation();
      if (attempt > 0) log.info({ attempts: attempt + 1 }, `${what} after the outage`);
      return value;
    } catch (error) {
      const kind = classifyOutage(error);
      if (kind === undefined) throw error;
      if (signal.aborted) throw new StopSignal(signal.reason as StopReason);
      if (attempt === 0) log.warn({ kind }, `${what}: waiting for Postgres`);
      await sleep(Math.min(OUTAGE_RETRY_MAX_MS, 100 * 2 ** attempt));
    }
  }
}

/** The `FinishedNotice` JSON around an already serialized result. */
function finishedNotice(
  executor: string,
  attempts: number,
  times: { startedAt: Date; finishedAt: Date },
  resultJson: string,
): string {
  const head: Omit<FinishedNotice, 'result'> = {
    executor,
    attempts,
    startedAt: times.startedAt.toISOString(),
    finishedAt: times.finishedAt.toISOString(),
  };
  return `${JSON.stringify(head).slice(0, -1)},"result":${resultJson}}`;
}

/**
 * Records each program of a judged submission, and the judge's time outside them: set-up and tear-down
 * of workspaces and sandboxes, compile-cache work, comparing outputs.
 */
function observePrograms(
  metrics: ExecutorMetrics,
  language: string,
  judged: JudgeResult,
  judgeSeconds: number,
): void {
  const runs = [
    ...(judged.compile ? [{ step: 'compile' as const, run: judged.compile }] : []),
    ...judged.tests.map((t) => ({ step: 'test' as const, run: t.result })),
  ];
  let programSeconds = 0;
  for (const { step, run } of runs) {
    const labels = { language, step };
    metrics.programRuns.inc({ start: run.warmStart ? 'warm' : 'cold' });
    metrics.programSeconds.observe(labels, run.wallTimeMs / 1000);
    metrics.programCpuSeconds.observe(labels, run.cpuTimeMs / 1000);
    metrics.programMemoryBytes.observe(labels, run.memoryBytes);
    programSeconds += run.wallTimeMs / 1000;
  }
  metrics.sandboxOverheadSeconds.observe({ language }, Math.max(0, judgeSeconds - programSeconds));
}

interface Work {
  readonly language: string;
  readonly input: SubmissionInput;
  readonly limits: SubmissionLimits;
}

/**
 * Counts a run cut short in Redis, where it outlives this executor (which is leaving); the controller
 * exports the count. Best effort: a lost count must not keep the job from going back to the queue.
 */
async function countInterrupted<Cache>(deps: ProcessorDeps<Cache>, log: Logger): Promise<void> {
  const cause = deps.leaving();
  log.warn({ cause }, 'run interrupted: the executor is leaving');
  await deps.redis
    .hincrby(deps.keys.runsInterrupted, cause, 1)
    .catch((error: unknown) => log.warn({ err: error }, 'could not count the interrupted run'));
}

/**
 * Runs one submission job: claim the row, judge it in the sandbox while streaming events, store the
 * result once, announce it. A job that carries its submission starts judging while the claim is on its
 * way; the claim still decides: no result is stored, and no event published, unless it succeeded.
 * Failures of the program are results; only Redis or Postgres trouble throws (BullMQ then retries), and
 * a shutdown hands the job back to the queue untouched.
 */
export function createProcessor<Cache>(deps: ProcessorDeps<Cache>) {
  return async (job: Job<SubmissionJobData>, token?: string): Promise<void> => {
    const { id, spec } = job.data;
    const log = deps.logger.child({ submission: id, attempt: job.attemptsMade + 1 });
    const controller = new AbortController();
    // The job's turn comes when its first program starts. Until then it waits on a standby slot, files in
    // place, and is not claimed: its row stays queued, and a shutdown hands it back untouched.
    let resolveTurn: (proceed: boolean) => void = () => undefined;
    /** True once the turn came; false when the job stopped before it (nothing to claim then). */
    const turn = new Promise<boolean>((resolve) => (resolveTurn = resolve));
    let startedAt = Date.now();
    const takeTurn = (proceed = true): void => {
      if (!deps.standby.delete(id)) return;
      startedAt = Date.now();
      resolveTurn(proceed);
    };
    let work: Work;
    let claiming: Promise<Claim | undefined>;
    if (spec) {
      work = { language: spec.language, input: decodeInput(spec.input), limits: spec.limits };
      claiming = turn.then((proceed) =>
        proceed
          ? claimOnceInserted(deps.store, id, deps.executorId, job.timestamp, controller.signal, log)
          : undefined,
      );
    } else {
      // The row holds the input, so the claim comes first (such jobs are rare: large submissions).
      const submission = await deps.store.claimWithInput(id, deps.executorId);
      if (!submission) {
        log.debug('submission deleted or already finished; skipping');
        return;
      }
      work = submission;
      claiming = Promise.resolve(submission);
    }
    const claimed = claiming.then(
      (claim) => {
        if (!claim) controller.abort('gone');
        else if (claim.attempts === 1)
          deps.metrics.queueWaitSeconds.observe(Math.max(0, (startedAt - claim.createdAt.getTime()) / 1000));
        return claim;
      },
      (error: unknown) => {
        controller.abort('unclaimed');
        throw error;
      },
    );
    // Awaited below on every path; this only keeps an early failure from counting as unhandled.
    claimed.catch(() => undefined);
    const events = new EventPublisher(
      deps.redis,
      deps.keys,
      id,
      log,
      claimed.then((claim) => claim !== undefined),
    );
    deps.running.set(id, controller);
    deps.standby.add(id);
    if (deps.draining()) controller.abort('shutdown');
    let result: StoredResult;
    try {
      events.event({ type: 'state', state: 'running' });
      const language = deps.resolveLanguage(work.language);
      if (!language?.available) {
        result = internalError(`${work.language} is not installed on executor ${deps.executorId}`);
      } else {
        try {
          const judgeStarted = Date.now();
          const judged = await deps.judge(
            deps.sandbox,
            {
              language,
              files: work.input.files.map((f) => ({ path: f.name, content: f.content })),
              args: [...work.input.args],
              compilerArgs: [...work.input.compilerArgs],
              limits: runLimits(work.limits),
              tests: (work.input.tests ?? [{ stdin: work.input.stdin, expectedOutput: null }]).map((t) => ({
                stdin: t.stdin,
                expectedOutput: t.expectedOutput,
              })),
              onEvent: (e) => {
                if (e.type !== 'output') takeTurn();
                if (e.type === 'compiling') events.event({ type: 'state', state: 'compiling' });
                else if (e.type === 'running')
                  events.event({ type: 'state', state: 'testing', test: e.test });
                else events.output(e.test, e.stream, e.chunk);
              },
              signal: controller.signal,
            },
            deps.cache === undefined ? {} : { cache: deps.cache },
          );
          if (controller.signal.aborted) throw new StopSignal(controller.signal.reason as StopReason);
          observePrograms(deps.metrics, language.id, judged, (Date.now() - judgeStarted) / 1000);
          result = {
            verdict: judged.verdict,
            compile: judged.compile ? storedRun(judged.compile) : null,
            tests: judged.tests.map((t) => ({ verdict: t.verdict, run: storedRun(t.result) })),
            error:
              judged.verdict === 'internal_error'
                ? (judged.tests.find((t) => t.result.error)?.result.error ??
                  judged.compile?.error ??
                  'the run failed')
                : null,
          };
        } catch (error) {
          if (error instanceof StopSignal || controller.signal.aborted)
            throw new StopSignal(controller.signal.reason as StopReason);
          // The judge itself broke (not the program): a result, so the submitter is not left waiting.
          log.error({ err: error }, 'judge failed');
          result = internalError('the executor could not run this submission');
        }
      }
      // The result is stored only over a successful claim: the claim is what makes the run ours. A job
      // that ran no program (its language is missing, the judge failed) claims now.
      takeTurn();
      const claim = await claimed;
      if (!claim) throw new StopSignal('gone');
      // Serialized once: a result can hold megabytes of output, and both the row and the notice need it.
      const resultJson = JSON.stringify(result);
      const stored = await outlastOutage(
        () => deps.store.finish(id, deps.executorId, result, resultJson),
        controller.signal,
        log,
        'result stored',
      );
      if (stored) {
        // The catalogue's id, not the alias the submitter wrote, so each language is one series.
        const labels = { language: language?.id ?? 'unknown', verdict: result.verdict };
        deps.metrics.submissions.inc(labels);
        deps.metrics.runSeconds.observe(labels, (Date.now() - startedAt) / 1000);
        events.event(
          { type: 'result', verdict: result.verdict },
          resultJson.length <= INLINE_NOTICE_BYTES
            ? finishedNotice(deps.executorId, claim.attempts, stored, resultJson)
            : undefined,
        );
        log.info({ verdict: result.verdict }, 'finished');
      } else {
        log.info('result not stored: the submission was deleted or finished elsewhere');
      }
      await events.flush();
    } catch (error) {
      // A job still on standby had not started: handing it back interrupts nothing.
      const started = !deps.standby.has(id);
      takeTurn(false);
      await events.flush();
      if (error instanceof StopSignal) {
        switch (error.reason) {
          case 'cancelled':
            log.info('cancelled');
            return;
          case 'gone':
            log.debug('submission deleted or already finished; run dropped');
            return;
          case 'unclaimed':
            // The claim's own error, so BullMQ retries the job.
            await claimed;
            throw error;
          case 'shutdown':
            // Hand the job back without spending an attempt; another executor takes it.
            log.info('handing the job back');
            await job.moveToWait(token);
            deps.metrics.handedBack.inc({ reason: 'shutdown' });
            if (started) await countInterrupted(deps, log);
            throw new WaitingError();
        }
      }
      throw error;
    } finally {
      deps.running.delete(id);
    }
  };
}
