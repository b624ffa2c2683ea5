import type { Job } from 'bullmq';
import { WaitingError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Counter, Histogram } from 'prom-client';
import type { RedisKeys } from '../../common/keys.js';
import type { Logger } from '../../common/logger.js';
import type { StoredResult, StoredRun, SubmissionJobData } from '../../common/submission.js';
import type { SubmissionStore } from '../../common/submissions-store.js';
import type { InstalledLanguage } from '../languages/types.js';
import type { RunResult, Sandbox } from '../sandbox/types.js';
import { EventPublisher } from './event-publisher.js';
import type { JudgeFunction } from './judge-contract.js';
import { runLimits } from './run-limits.js';

export interface ProcessorMetrics {
  readonly submissions: Counter<'verdict'>;
  readonly runSeconds: Histogram<'verdict'>;
  readonly queueWaitSeconds: Histogram;
}

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
  readonly metrics: ProcessorMetrics;
  /** Controllers of the runs in progress, by submission id, so that a cancel notice can stop one. */
  readonly running: Map<string, AbortController>;
}

/** Why a run was stopped from outside. */
export type StopReason = 'cancelled' | 'shutdown';

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

/**
 * Runs one submission job: claim the row, judge it in the sandbox while streaming events, store the
 * result once, announce it. Failures of the program are results; only Redis or Postgres trouble throws
 * (BullMQ then retries), and a shutdown hands the job back to the queue untouched.
 */
export function createProcessor<Cache>(deps: ProcessorDeps<Cache>) {
  return async (job: Job<SubmissionJobData>, token?: string): Promise<void> => {
    const { id } = job.data;
    const log = deps.logger.child({ submission: id, attempt: job.attemptsMade + 1 });
    const submission = await deps.store.claim(id, deps.executorId);
    if (!submission) {
      log.debug('submission deleted or already finished; skipping');
      return;
    }
    const startedAt = Date.now();
    if (submission.attempts === 1) {
      deps.metrics.queueWaitSeconds.observe(Math.max(0, (startedAt - submission.createdAt.getTime()) / 1000));
    }
    const events = new EventPublisher(deps.redis, deps.keys, id, log);
    const controller = new AbortController();
    deps.running.set(id, controller);
    let result: StoredResult;
    try {
      events.event({ type: 'state', state: 'running' });
      const language = deps.resolveLanguage(submission.language);
      if (!language?.available) {
        result = internalError(`${submission.language} is not installed on executor ${deps.executorId}`);
      } else {
        try {
          const judged = await deps.judge(
            deps.sandbox,
            {
              language,
              files: submission.input.files.map((f) => ({ path: f.name, content: f.content })),
              args: [...submission.input.args],
              compilerArgs: [...submission.input.compilerArgs],
              limits: runLimits(submission.limits),
              tests: (
                submission.input.tests ?? [{ stdin: submission.input.stdin, expectedOutput: null }]
              ).map((t) => ({
                stdin: t.stdin,
                expectedOutput: t.expectedOutput,
              })),
              onEvent: (e) => {
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
      const stored = await deps.store.finish(id, deps.executorId, result);
      if (stored) {
        deps.metrics.submissions.inc({ verdict: result.verdict });
        deps.metrics.runSeconds.observe({ verdict: result.verdict }, (Date.now() - startedAt) / 1000);
        events.event({ type: 'result', verdict: result.verdict });
        log.info({ verdict: result.verdict }, 'finished');
      } else {
        log.info('result not stored: the submission was deleted or finished elsewhere');
      }
      await events.flush();
    } catch (error) {
      await events.flush();
      if (error instanceof StopSignal) {
        if (error.reason === 'cancelled') {
          log.info('cancelled');
          return;
        }
        // Shutdown: hand the job back without spending an attempt; another executor takes it.
        log.info('handing the job back');
        await job.moveToWait(token);
        throw new WaitingError();
      }
      throw error;
    } finally {
      deps.running.delete(id);
    }
  };
}
