import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyError, FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Submission } from '../../../common/submission.js';
import type { ApiContext } from '../../context.js';
import { ProblemError, outageProblem } from '../../api/errors.js';
import type { SubmissionService } from '../../submissions/service.js';
import { judge0AdminRoutes } from './admin.js';
import { AttributesStore } from './attributes-store.js';
import { CallbackSender } from './callbacks.js';
import { Judge0HttpError } from './errors.js';
import { MAX_BATCH, MAX_EXTRACT_KB, judge0InfoRoutes } from './info.js';
import { CallbackOutbox } from './outbox.js';
import { Judge0FieldErrors, translateRequest } from './request.js';
import type { Judge0Attributes } from './request.js';
import {
  Judge0BatchBody,
  Judge0BatchQuery,
  Judge0CreateQuery,
  Judge0Error,
  Judge0FieldErrorsView,
  Judge0ShowQuery,
  Judge0SubmissionBody,
  Judge0SubmissionView,
  TokenParams,
} from './schemas.js';
import { DEFAULT_FIELDS, InvalidFieldsError, NotUtf8Error, judge0View, parseFields } from './view.js';

/** Beyond the run's wall limit, how long `wait=true` waits for a queue slot and a compile. */
const EXTRA_WAIT_MS = 60_000;
/** Files of a submission at most (the v1 API's bound), the program's own file included. */
const MAX_FILES = 32;
/** Tells a client which request fields were accepted and echoed but not applied (docs/compat.md). */
const NOT_APPLIED_HEADER = 'x-remcode-not-applied';

const errors = { '4xx': Judge0Error, '5xx': Judge0Error };

/** Judge0 reads `base64_encoded` and `wait` as true only when they are exactly "true". */
const isTrue = (value: string | undefined): boolean => value === 'true';

/**
 * Judge0 CE 1.13's API under a configurable prefix, answered by the same queue, executors and sandbox as
 * RemCode's own API. Tokens are RemCode submission ids, so a token also works with `/api/v1`.
 */
export function judge0Routes(ctx: ApiContext, service: SubmissionService): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    const attributes = new AttributesStore(ctx.redis, ctx.keys, ctx.config.retentionMs);
    const callbacks = new CallbackSender({
      hosts: ctx.config.compat.judge0CallbackHosts,
      allowPrivate: ctx.config.compat.judge0CallbackPrivate,
    });
    // Judge0 sends callbacks base64-encoded with the default fields, whatever the request asked.
    const callbackBody = async (id: string): Promise<string | null> => {
      const s = await ctx.store.get(id);
      if (!s || s.state !== 'finished') return null;
      const [attrs] = await attributes.get([id]);
      const view = judge0View(s, {
        fields: DEFAULT_FIELDS,
        base64: true,
        attributes: attrs ?? null,
        languages: await ctx.languages.list(),
      });
      return JSON.stringify(view);
    };
    // Without allowed hosts no callback is ever accepted, so there is nothing to poll for.
    const outbox = callbacks.enabled
      ? new CallbackOutbox({ pool: ctx.pool, sender: callbacks, logger: ctx.logger, body: callbackBody })
      : null;
    app.addHook('onClose', async () => {
      if (outbox) await outbox.close();
      else callbacks.close();
    });

    // Judge0's documented examples post forms as often as JSON.
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, parsed) => parsed(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    // Judge0 authenticates with X-Auth-Token; RemCode's API keys answer to it here.
    app.addHook('onRequest', (request, _reply, next) => {
      const token = request.headers['x-auth-token'];
      if (typeof token === 'string' && request.headers['x-api-key'] === undefined)
        request.headers['x-api-key'] = token;
      next();
    });

    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof Judge0FieldErrors) return reply.code(422).send(error.errors);
      if (error instanceof Judge0HttpError)
        return reply.code(error.status).send({ error: error.message, ...error.extra });
      if (error instanceof InvalidFieldsError) return reply.code(400).send({ error: error.message });
      if (error instanceof NotUtf8Error) return reply.code(400).send({ error: error.message });
      if (error.code === 'FST_ERR_VALIDATION') {
        const first = error.validation?.[0];
        const field =
          first?.instancePath
            .split('/')
            .filter((p) => p !== '')
            .join('.') ?? '';
        return field !== ''
          ? reply.code(422).send({ [field]: [first?.message ?? 'is not valid'] })
          : reply.code(400).send({ error: error.message });
      }
      const outage = error instanceof ProblemError ? undefined : outageProblem(error);
      if (outage) {
        // Judge0 would answer 500; a passing Redis or Postgres outage is worth a retry, so say so.
        request.log.warn({ err: error, code: outage.code }, 'dependency unavailable');
        for (const [name, value] of Object.entries(outage.headers)) void reply.header(name, value);
        return reply.code(503).send({ error: `${outage.title}: ${outage.detail ?? ''}` });
      }
      if (error instanceof ProblemError) {
        for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value);
        if (error.code === 'queue_full') return reply.code(503).send({ error: 'queue is full' });
        const message = error.detail !== undefined ? `${error.title}: ${error.detail}` : error.title;
        return reply.code(error.status).send({ error: message });
      }
      if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/i.test(error.message)))
        return reply.code(400).send({ error: 'the body is not valid JSON' });
      if (error.statusCode !== undefined && error.statusCode < 500)
        return reply.code(error.statusCode).send({ error: error.message });
      request.log.error({ err: error }, 'unhandled error');
      return reply.code(500).send({ error: 'something went wrong on our side' });
    });

    const bounds = { defaults: ctx.config.limitDefaults, maxima: ctx.config.limitMaxima };

    async function accept(
      raw: Judge0SubmissionBody,
      base64: boolean,
      apiKeyId: string | null,
      reply: FastifyReply | null,
      wait: boolean,
      log: FastifyBaseLogger,
    ): Promise<{
      id: string;
      attributes: Judge0Attributes;
      notApplied: readonly string[];
      finished: Submission | null;
      waitMs: number;
      /** Aborted when the client hung up. */
      closed: AbortSignal;
    }> {
      const languages = await ctx.languages.list();
      if (languages.length === 0)
        throw new ProblemError(503, 'no_executors', 'No executor is ready to run code yet', undefined, {
          'retry-after': '5',
        });
      const request = translateRequest(raw, {
        base64,
        languages,
        bounds,
        checkCallback: (url) => callbacks.check(url),
        zipLimits: {
          entries: MAX_FILES,
          fileBytes: ctx.config.maxFileBytes,
          totalBytes: MAX_EXTRACT_KB * 1024,
        },
      });
      const decoded = await service.decode(request.body).catch((error: unknown) => {
        // The program's own file is named here, so a file name RemCode refuses came from the archive.
        if (error instanceof ProblemError && error.code === 'invalid_file_name')
          throw new Judge0FieldErrors({
            additional_files: [`holds a file name that is not allowed: ${error.detail ?? ''}`],
          });
        throw error;
      });
      const closed = new AbortController();
      reply?.raw.once('close', () => closed.abort());
      const created = await service.create(decoded, {
        wait,
        apiKeyId,
        signal: closed.signal,
        log,
      });
      await attributes.put(created.id, request.attributes);
      const callbackUrl = request.attributes.callbackUrl;
      if (callbackUrl !== null && outbox) {
        await outbox.add(created.id, callbackUrl);
        // The outbox polls anyway; this only lets the callback leave as soon as the result is in.
        void service
          .finished(created.id, decoded.limits.wallTimeMs + EXTRA_WAIT_MS)
          .then(() => outbox.kick())
          .catch(() => undefined);
      }
      return {
        id: created.id,
        attributes: request.attributes,
        notApplied: request.notApplied,
        finished: created.finished,
        waitMs: decoded.limits.wallTimeMs + EXTRA_WAIT_MS,
        closed: closed.signal,
      };
    }

    // Judge0's documentation writes `POST /submissions/?...`; both spellings must work.
    for (const url of ['/submissions', '/submissions/']) {
      app.post(
        url,
        {
          config: { openapi: url === '/submissions' },
          schema: {
            summary: 'Judge0: create a submission',
            description:
              'JSON or form body. Answers 201 `{token}`, or with `wait=true` the submission once it finished.',
            body: Judge0SubmissionBody,
            querystring: Judge0CreateQuery,
            response: { 201: Judge0SubmissionView, 422: Judge0FieldErrorsView, ...errors },
          },
        },
        async (request, reply) => {
          const apiKey = await ctx.apiKeys.authenticate(request);
          const base64 = isTrue(request.query.base64_encoded);
          const wait = isTrue(request.query.wait);
          const fields = parseFields(request.query.fields);
          service.admit();
          const accepted = await accept(request.body, base64, apiKey?.id ?? null, reply, wait, request.log);
          if (accepted.notApplied.length > 0)
            void reply.header(NOT_APPLIED_HEADER, accepted.notApplied.join(', '));
          if (!wait) return reply.code(201).send({ token: accepted.id });
          // Judge0 runs a waited submission before it answers; wait on past the v1 bound, then show
          // whatever state it reached rather than fail.
          const finished =
            accepted.finished ??
            (await service.finished(accepted.id, accepted.waitMs, accepted.closed)) ??
            (await ctx.store.get(accepted.id));
          if (!finished) throw new Judge0HttpError(404, 'Not Found');
          try {
            const view = judge0View(finished, {
              fields,
              base64,
              attributes: accepted.attributes,
              languages: await ctx.languages.list(),
            });
            return reply.code(201).send(view);
          } catch (error) {
            if (!(error instanceof NotUtf8Error)) throw error;
            return reply.code(201).send({ error: error.message, token: accepted.id });
          }
        },
      );
    }

    app.post(
      '/submissions/batch',
      {
        config: { openapi: true },
        schema: {
          summary: 'Judge0: create up to 20 submissions',
          description: 'Answers one `{token}` or one field-error object per submission, in order.',
          body: Judge0BatchBody,
          querystring: Judge0ShowQuery,
          response: { 201: Type.Array(Type.Unknown()), 422: Type.Array(Type.Unknown()), ...errors },
        },
      },
      async (request, reply) => {
        const apiKey = await ctx.apiKeys.authenticate(request);
        const items = request.body.submissions;
        if (items.length > MAX_BATCH)
          throw new Judge0HttpError(
            400,
            `number of submissions in a batch should be less than or equal to ${MAX_BATCH}`,
          );
        if (items.length === 0)
          throw new Judge0HttpError(400, 'there should be at least one submission in a batch');
        service.admit(items.length);
        const base64 = isTrue(request.query.base64_encoded);
        const answers: unknown[] = [];
        const notApplied = new Set<string>();
        let anyAccepted = false;
        for (const item of items) {
          try {
            const accepted = await accept(item, base64, apiKey?.id ?? null, null, false, request.log);
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
        if (notApplied.size > 0) void reply.header(NOT_APPLIED_HEADER, [...notApplied].join(', '));
        return reply.code(anyAccepted ? 201 : 422).send(answers);
      },
    );

    app.get(
      '/submissions/batch',
      {
        config: { openapi: true },
        schema: {
          summary: 'Judge0: read up to 20 submissions',
          querystring: Judge0BatchQuery,
          response: {
            200: Type.Object({ submissions: Type.Array(Type.Union([Judge0SubmissionView, Type.Null()])) }),
            ...errors,
          },
        },
      },
      async (request) => {
        const tokens = (request.query.tokens ?? '')
          .trim()
          .split(',')
          .map((t) => t.trim())
          .filter((t) => t !== '');
        if (tokens.length > MAX_BATCH)
          throw new Judge0HttpError(
            400,
            `number of submissions in a batch should be less than or equal to ${MAX_BATCH}`,
          );
        if (tokens.length === 0)
          throw new Judge0HttpError(400, 'there should be at least one submission in a batch');
        const base64 = isTrue(request.query.base64_encoded);
        const fields = parseFields(request.query.fields);
        const [rows, attrs, languages] = await Promise.all([
          Promise.all(tokens.map((t) => ctx.store.get(t))),
          attributes.get(tokens),
          ctx.languages.list(),
        ]);
        try {
          return {
            submissions: rows.map((s, i) =>
              s ? judge0View(s, { fields, base64, attributes: attrs[i] ?? null, languages }) : null,
            ),
          };
        } catch (error) {
          if (!(error instanceof NotUtf8Error)) throw error;
          throw new Judge0HttpError(
            400,
            'some attributes for one or more submissions cannot be converted to UTF-8, use base64_encoded=true query parameter',
          );
        }
      },
    );

    app.get(
      '/submissions/:token',
      {
        config: { openapi: true },
        schema: {
          summary: 'Judge0: read a submission',
          params: TokenParams,
          querystring: Judge0ShowQuery,
          response: { 200: Judge0SubmissionView, ...errors },
        },
      },
      async (request) => {
        const base64 = isTrue(request.query.base64_encoded);
        const fields = parseFields(request.query.fields);
        const s = await ctx.store.get(request.params.token);
        if (!s) throw new Judge0HttpError(404, 'Not Found');
        const [attrs] = await attributes.get([s.id]);
        return judge0View(s, {
          fields,
          base64,
          attributes: attrs ?? null,
          languages: await ctx.languages.list(),
        });
      },
    );

    judge0AdminRoutes(app, ctx, attributes);
    judge0InfoRoutes(app, ctx, callbacks.enabled);
    done();
  };
}
