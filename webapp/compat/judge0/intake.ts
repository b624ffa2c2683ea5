import type { FastifyBaseLogger } from 'fastify';
import type { Submission } from '../../../common/submission.js';
import type { ApiContext } from '../../context.js';
import { ProblemError } from '../../api/errors.js';
import type { SubmissionService } from '../../submissions/service.js';
import { AttributesStore } from './attributes-store.js';
import { CallbackSender } from './callbacks.js';
import { Judge0HttpError } from './errors.js';
import { MAX_BATCH, MAX_EXTRACT_KB } from './info.js';
import { CallbackOutbox } from './outbox.js';
import { Judge0FieldErrors, translateRequest } from './request.js';
import type { Judge0Attributes } from './request.js';
import type { Judge0SubmissionBody } from './schemas.js';
import { DEFAULT_FIELDS, judge0View } from './view.js';

/** Beyond the run's wall limit, how long `wait=true` waits for a queue slot and a compile. */
const EXTRA_WAIT_MS = 60_000;
/** Files of a submission at most (the v1 API's bound), the program's own file included. */
const MAX_FILES = 32;

export interface AcceptOptions {
  base64: boolean;
  apiKeyId: string | null;
  wait: boolean;
  /** Aborted when the client hung up, so a waiting create stops waiting. */
  signal?: AbortSignal;
  log: FastifyBaseLogger;
}

export interface Accepted {
  id: string;
  attributes: Judge0Attributes;
  /** Request fields echoed back but not applied (docs/compat.md). */
  notApplied: readonly string[];
  /** Set when a waiting create already saw the result. */
  finished: Submission | null;
  /** How long a waiting client may still wait for the result. */
  waitMs: number;
}

export interface BatchAnswer {
  /** One `{token}` or one refusal per submission, in the request's order. */
  answers: unknown[];
  notApplied: readonly string[];
  anyAccepted: boolean;
}

/** Refuses a batch Judge0 would refuse: empty, or over its size. */
export function checkBatchSize(count: number): void {
  if (count > MAX_BATCH)
    throw new Judge0HttpError(
      400,
      `number of submissions in a batch should be less than or equal to ${MAX_BATCH}`,
    );
  if (count === 0) throw new Judge0HttpError(400, 'there should be at least one submission in a batch');
}

/**
 * Turns Judge0 requests into RemCode submissions: translation, the shared submission service, the
 * request attributes Judge0 echoes back, and callbacks once a result is in. The routes only parse,
 * call this and answer.
 */
export class Judge0Intake {
  readonly attributes: AttributesStore;
  readonly #ctx: ApiContext;
  readonly #service: SubmissionService;
  readonly #callbacks: CallbackSender;
  readonly #outbox: CallbackOutbox | null;

  constructor(ctx: ApiContext, service: SubmissionService) {
    this.#ctx = ctx;
    this.#service = service;
    this.attributes = new AttributesStore(ctx.redis, ctx.keys, ctx.config.retentionMs);
    this.#callbacks = new CallbackSender({
      hosts: ctx.config.compat.judge0CallbackHosts,
      allowPrivate: ctx.config.compat.judge0CallbackPrivate,
    });
    // Without allowed hosts no callback is ever accepted, so there is nothing to poll for.
    this.#outbox = this.#callbacks.enabled
      ? new CallbackOutbox({
          pool: ctx.pool,
          sender: this.#callbacks,
          logger: ctx.logger,
          body: (id) => this.#callbackBody(id),
        })
      : null;
  }

  get callbacksEnabled(): boolean {
    return this.#callbacks.enabled;
  }

  async accept(raw: Judge0SubmissionBody, options: AcceptOptions): Promise<Accepted> {
    const languages = await this.#ctx.languages.list();
    if (languages.length === 0)
      throw new ProblemError(503, 'no_executors', 'No executor is ready to run code yet', undefined, {
        'retry-after': '5',
      });
    const request = translateRequest(raw, {
      base64: options.base64,
      languages,
      bounds: { defaults: this.#ctx.config.limitDefaults, maxima: this.#ctx.config.limitMaxima },
      checkCallback: (url) => this.#callbacks.check(url),
      zipLimits: {
        entries: MAX_FILES,
        fileBytes: this.#ctx.config.maxFileBytes,
        totalBytes: MAX_EXTRACT_KB * 1024,
      },
    });
    const decoded = await this.#service.decode(request.body).catch((error: unknown) => {
      // The program's own file is named here, so a file name RemCode refuses came from the archive.
      if (error instanceof ProblemError && error.code === 'invalid_file_name')
        throw new Judge0FieldErrors({
          additional_files: [`holds a file name that is not allowed: ${error.detail ?? ''}`],
        });
      throw error;
    });
    const created = await this.#service.create(decoded, {
      wait: options.wait,
      apiKeyId: options.apiKeyId,
      ...(options.signal ? { signal: options.signal } : {}),
      log: options.log,
    });
    await this.attributes.put(created.id, request.attributes);
    const waitMs = decoded.limits.wallTimeMs + EXTRA_WAIT_MS;
    const callbackUrl = request.attributes.callbackUrl;
    if (callbackUrl !== null && this.#outbox) {
      const outbox = this.#outbox;
      await outbox.add(created.id, callbackUrl);
      // The outbox polls anyway; this only lets the callback leave as soon as the result is in.
      void this.#service
        .finished(created.id, waitMs)
        .then(() => outbox.kick())
        .catch(() => undefined);
    }
    return {
      id: created.id,
      attributes: request.attributes,
      notApplied: request.notApplied,
      finished: created.finished,
      waitMs,
    };
  }

  /**
   * Accepts each submission of a batch on its own: one refused for its fields or limits is answered in
   * its place and does not stop the others, while an outage fails the whole request.
   */
  async acceptBatch(
    items: readonly Judge0SubmissionBody[],
    options: Omit<AcceptOptions, 'wait'>,
  ): Promise<BatchAnswer> {
    checkBatchSize(items.length);
    this.#service.admit(items.length);
    const answers: unknown[] = [];
    const notApplied = new Set<string>();
    let anyAccepted = false;
    for (const item of items) {
      try {
        const accepted = await this.accept(item, { ...options, wait: false });
        answers.push({ token: accepted.id });
        for (const field of accepted.notApplied) notApplied.add(field);
        anyAccepted = true;
      } catch (error) {
        if (error instanceof Judge0FieldErrors) answers.push(error.errors);
        else if (error instanceof ProblemError && error.status < 500)
          answers.push({
            error: error.detail !== undefined ? `${error.title}: ${error.detail}` : error.title,
          });
        else throw error;
      }
    }
    return { answers, notApplied: [...notApplied], anyAccepted };
  }

  /**
   * Judge0 runs a waited submission before it answers: wait on past the v1 bound, then show whatever
   * state it reached rather than fail.
   */
  async settled(accepted: Accepted, signal?: AbortSignal): Promise<Submission | null> {
    return (
      accepted.finished ??
      (await this.#service.finished(accepted.id, accepted.waitMs, signal)) ??
      (await this.#ctx.store.get(accepted.id)) ??
      null
    );
  }

  async close(): Promise<void> {
    if (this.#outbox) await this.#outbox.close();
    else this.#callbacks.close();
  }

  /** Judge0 sends callbacks base64-encoded with the default fields, whatever the request asked. */
  async #callbackBody(id: string): Promise<string | null> {
    const s = await this.#ctx.store.get(id);
    if (!s || s.state !== 'finished') return null;
    const [attrs] = await this.attributes.get([id]);
    const view = judge0View(s, {
      fields: DEFAULT_FIELDS,
      base64: true,
      attributes: attrs ?? null,
      languages: await this.#ctx.languages.list(),
    });
    return JSON.stringify(view);
  }
}
