import { createHash, randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { publishEvent } from '../../common/events.js';
import { classifyOutage } from '../../common/outage.js';
import { INLINE_SPEC_BYTES, encodeInput, inputBytes } from '../../common/submission.js';
import type { FinishedNotice, InputJson, NewSubmission, Submission } from '../../common/submission.js';
import { isSubmissionId } from '../../common/submissions-store.js';
import type { ApiContext } from '../context.js';
import { decodeSubmission } from '../api/decode.js';
import type { DecodedSubmission } from '../api/decode.js';
import { ProblemError } from '../api/errors.js';
import type { SubmissionBody } from '../api/schemas.js';

/** How long a cancel waits for Redis to take its notices. */
const CANCEL_NOTICE_WAIT_MS = 1_000;

/** Resolves with the work, or when `ms` have passed (the work goes on in the background). */
async function bounded(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  // A rejection after the wait ended has no one to tell.
  work.catch(() => undefined);
  await Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export interface CreateOptions {
  /** Wait (up to the configured bound) for the result before resolving. */
  readonly wait: boolean;
  readonly apiKeyId: string | null;
  /**
   * A client's `Idempotency-Key`: a repeat within the window answers with the first submission instead
   * of storing another.
   */
  readonly idempotencyKey?: string;
  /** Aborted when the client hung up; a wait then ends early. */
  readonly signal?: AbortSignal;
  readonly log: FastifyBaseLogger;
}

export interface CreatedSubmission {
  readonly id: string;
  readonly createdAt: Date;
  /** The finished submission when `wait` was asked for and the result came in time; otherwise null. */
  readonly finished: Submission | null;
}

/** The finished submission from the executor's notice; undefined when the notice cannot be read. */
function fromNotice(s: NewSubmission, createdAt: Date, data: string): Submission | undefined {
  let notice: FinishedNotice;
  try {
    notice = JSON.parse(data) as FinishedNotice;
  } catch {
    return undefined;
  }
  return {
    ...s,
    state: 'finished',
    verdict: notice.result.verdict,
    result: notice.result,
    executor: notice.executor,
    attempts: notice.attempts,
    createdAt,
    startedAt: new Date(notice.startedAt),
    finishedAt: new Date(notice.finishedAt),
  };
}

/**
 * The one way a submission enters RemCode: admission against the queue bound, decoding and validation,
 * the insert and the job (taken back when the insert fails), and the bounded wait for a result; and the
 * cancel that deletes one while it is queued or running. The v1 routes and the Judge0 and Piston dialects
 * all go through it, so they cannot drift apart in what they accept or how they run it.
 */
export class SubmissionService {
  constructor(private readonly ctx: ApiContext) {}

  /** Throws a 503 `queue_full` problem when `count` more submissions would not be accepted. */
  admit(count = 1): void {
    if (this.ctx.monitor.stats.depth + count - 1 >= this.ctx.config.queueMax) {
      this.ctx.metrics.submissionsRejected.inc({ reason: 'queue_full' }, count);
      throw new ProblemError(
        503,
        'queue_full',
        'Too many submissions are waiting',
        'Try again in a few seconds',
        {
          'retry-after': '5',
        },
      );
    }
  }

  /** Validates a v1-shaped body against the installed languages and the operator's limits. */
  async decode(body: SubmissionBody): Promise<DecodedSubmission> {
    const languages = await this.ctx.languages.list();
    try {
      return decodeSubmission(body, {
        languages,
        maxFileBytes: this.ctx.config.maxFileBytes,
        limitDefaults: this.ctx.config.limitDefaults,
        limitMaxima: this.ctx.config.limitMaxima,
      });
    } catch (error) {
      // The decoder's codes are a fixed set, so they make a bounded label.
      if (error instanceof ProblemError) this.ctx.metrics.submissionsRejected.inc({ reason: error.code });
      throw error;
    }
  }

  async create(decoded: DecodedSubmission, options: CreateOptions): Promise<CreatedSubmission> {
    const { ctx } = this;
    const id = randomUUID();
    // Listening starts before the job exists, so even an instant result cannot slip past.
    const waiter = options.wait
      ? ctx.hub.waitFor(id, ['result', 'cancelled'], ctx.config.waitTimeoutMs, options.signal)
      : undefined;
    const submission: NewSubmission = {
      id,
      language: decoded.language.id,
      languageVersion: decoded.language.version,
      encoding: decoded.encoding,
      input: decoded.input,
      limits: decoded.limits,
      apiKeyId: options.apiKeyId,
    };
    const input = encodeInput(decoded.input);
    if (options.idempotencyKey !== undefined) {
      waiter?.cancel();
      return this.createOnce(submission, input, options.idempotencyKey, options);
    }
    const spec =
      inputBytes(decoded.input) <= INLINE_SPEC_BYTES
        ? { language: submission.language, input, limits: decoded.limits }
        : undefined;
    // A job that carries its submission is queued alongside the insert: its executor starts at once
    // and claims the row once it is committed. A job without it must find the row, so it waits. While
    // Redis is away the job is deferred and the submission still accepted: its row waits in Postgres.
    const enqueue = (): Promise<boolean> => ctx.enqueuer.enqueue(id, submission.language, spec);
    const queued = spec ? enqueue() : undefined;
    let createdAt: Date;
    // An insert that waited out a Postgres outage may outlast the executor's patience for its row; the
    // job is then added again below (a no-op while the first one still waits).
    let insertWaited = false;
    try {
      createdAt = await ctx.store.insert(submission, input, {
        onRetry: (failure) => {
          if (!insertWaited) options.log.warn({ code: failure.code, id }, 'insert waits for Postgres');
          insertWaited = true;
        },
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      waiter?.cancel();
      if (queued) {
        await queued;
        // Not accepted after all: take the job back, or stop the run that already began (its claim
        // would never find the row; this only ends it sooner).
        await this.withdraw(id).catch(() => undefined);
      }
      throw error;
    }
    ctx.metrics.submissionsCreated.inc();
    const onQueue = await (queued ?? enqueue());
    if (queued && onQueue && insertWaited) await enqueue();
    const outcome = waiter ? await waiter.ready : null;
    if (outcome === null) return { id, createdAt, finished: null };
    const fromData = outcome.data !== undefined ? fromNotice(submission, createdAt, outcome.data) : undefined;
    // A bare notice (a large result, or a cancel) means the row has the answer.
    const done = fromData ?? (await ctx.store.get(id));
    return { id, createdAt, finished: done && done.state === 'finished' ? done : null };
  }

  /**
   * `create` under an idempotency key. The job is added only after the row is stored, since a repeat
   * stores nothing and must not leave a job behind.
   */
  private async createOnce(
    submission: NewSubmission,
    input: InputJson,
    key: string,
    options: CreateOptions,
  ): Promise<CreatedSubmission> {
    const { ctx } = this;
    const requestHash = createHash('sha256')
      .update(
        JSON.stringify([
          submission.language,
          submission.languageVersion,
          submission.encoding,
          input,
          submission.limits,
        ]),
      )
      .digest();
    const stored = await ctx.store.insertIdempotent(
      submission,
      input,
      { key, requestHash, windowMs: ctx.config.idempotencyWindowMs },
      options.signal ? { signal: options.signal } : {},
    );
    if (stored.replayed && !stored.sameRequest) {
      ctx.metrics.submissionsRejected.inc({ reason: 'idempotency_key_reused' });
      throw new ProblemError(
        422,
        'idempotency_key_reused',
        'The Idempotency-Key was used for a different submission',
        `Submission ${stored.id} was created with this key; use a new key for a new submission`,
      );
    }
    if (stored.replayed) {
      options.log.info({ id: stored.id }, 'repeated request answered with its first submission');
    } else {
      ctx.metrics.submissionsCreated.inc();
      await ctx.enqueuer.enqueue(submission.id, submission.language, undefined);
    }
    const finished = options.wait
      ? await this.finished(stored.id, ctx.config.waitTimeoutMs, options.signal)
      : null;
    return { id: stored.id, createdAt: stored.createdAt, finished };
  }

  /**
   * The submission, or undefined when there is none. With `wait`, one not finished yet is waited for
   * (bounded, as a create's wait; ended early by the signal) and answered in whatever state it then has.
   */
  async read(id: string, wait?: { readonly signal: AbortSignal }): Promise<Submission | undefined> {
    const s = await this.ctx.store.get(id);
    if (!s || !wait || s.state === 'finished') return s;
    const done = await this.finished(id, this.ctx.config.waitTimeoutMs, wait.signal);
    return done ?? (await this.ctx.store.get(id));
  }

  /**
   * Deletes a submission, cancelling it if it is queued or running. False when there is no such
   * submission (or `id` cannot be one).
   */
  async cancel(id: string, log: FastifyBaseLogger): Promise<boolean> {
    const { ctx } = this;
    if (!isSubmissionId(id) || !(await ctx.store.remove(id))) return false;
    ctx.enqueuer.forget(id);
    // The row is gone, so an executor that still runs it can no longer store a result; these only stop
    // work early and wake followers. So while Redis is away they are skipped after a short wait (the
    // queue's connection would otherwise hold the request until Redis returns): a job left behind
    // finds no row and is dropped by its executor.
    await bounded(
      (async () => {
        await this.withdraw(id);
        await publishEvent(ctx.redis, ctx.keys, id, { type: 'cancelled' });
      })(),
      CANCEL_NOTICE_WAIT_MS,
    ).catch((error: unknown) => {
      if (classifyOutage(error) === undefined) throw error;
      log.warn({ err: error, id }, 'deleted; the cancel notice could not be sent');
    });
    return true;
  }

  /** Takes a submission's job off its queue, and tells an executor already running it to stop. */
  private async withdraw(id: string): Promise<void> {
    await this.ctx.queues.remove(id).catch(() => undefined);
    await this.ctx.redis.publish(this.ctx.keys.cancelChannel, id);
  }

  /**
   * Resolves with the finished submission, or null when it is gone or not finished within `timeoutMs`.
   * For work that outlives a request (callbacks), so it re-reads the row rather than trusting a notice.
   */
  async finished(id: string, timeoutMs: number, signal?: AbortSignal): Promise<Submission | null> {
    const waiter = this.ctx.hub.waitFor(id, ['result', 'cancelled'], timeoutMs, signal);
    const now = await this.ctx.store.get(id);
    if (!now || now.state === 'finished' || now.state === 'cancelled') {
      waiter.cancel();
      return now && now.state === 'finished' ? now : null;
    }
    const outcome = await waiter.ready;
    if (outcome === null) return null;
    const done = await this.ctx.store.get(id);
    return done && done.state === 'finished' ? done : null;
  }
}
