import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiContext } from '../../context.js';
import type { SubmissionService } from '../../submissions/service.js';
import { judge0AdminRoutes } from './admin.js';
import { Judge0HttpError, judge0ErrorReply } from './errors.js';
import { judge0InfoRoutes } from './info.js';
import { Judge0Intake, checkBatchSize } from './intake.js';
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
import { NotUtf8Error, judge0View, parseFields } from './view.js';

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
    const intake = new Judge0Intake(ctx, service);
    const { attributes } = intake;
    app.addHook('onClose', () => intake.close());

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
    app.setErrorHandler(judge0ErrorReply);

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
          const closed = new AbortController();
          reply.raw.once('close', () => closed.abort());
          const accepted = await intake.accept(request.body, {
            base64,
            apiKeyId: apiKey?.id ?? null,
            wait,
            signal: closed.signal,
            log: request.log,
          });
          if (accepted.notApplied.length > 0)
            void reply.header(NOT_APPLIED_HEADER, accepted.notApplied.join(', '));
          if (!wait) return reply.code(201).send({ token: accepted.id });
          const finished = await intake.settled(accepted, closed.signal);
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
        const batch = await intake.acceptBatch(request.body.submissions, {
          base64: isTrue(request.query.base64_encoded),
          apiKeyId: apiKey?.id ?? null,
          log: request.log,
        });
        if (batch.notApplied.length > 0) void reply.header(NOT_APPLIED_HEADER, batch.notApplied.join(', '));
        return reply.code(batch.anyAccepted ? 201 : 422).send(batch.answers);
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
        checkBatchSize(tokens.length);
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
    judge0InfoRoutes(app, ctx, intake.callbacksEnabled);
    done();
  };
}
