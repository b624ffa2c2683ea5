import { setMaxListeners } from 'node:events';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiContext } from '../context.js';
import { ProblemError, ProblemSchema } from './errors.js';
import { streamEvents } from './sse.js';
import {
  CreatedView,
  EventsQuery,
  IdParams,
  IdempotencyHeaders,
  SourceView,
  SubmissionBody,
  SubmissionView,
  WaitQuery,
} from './schemas.js';
import type { SubmissionService } from '../submissions/service.js';
import { sourceView, submissionView } from './view.js';

const problems = { '4xx': ProblemSchema, '5xx': ProblemSchema };

function notFound(id: string): ProblemError {
  return new ProblemError(
    404,
    'submission_not_found',
    'No such submission',
    `There is no submission ${id.slice(0, 64)}`,
  );
}

export function submissionRoutes(ctx: ApiContext, service: SubmissionService): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    const shutdown = new AbortController();
    // Every open event stream listens here until it ends, so thousands of listeners are normal, not a leak.
    setMaxListeners(0, shutdown.signal);
    app.addHook('preClose', (hookDone) => {
      shutdown.abort();
      hookDone();
    });

    app.post(
      '/api/v1/submissions',
      {
        schema: {
          summary: 'Create a submission',
          description:
            'Stores the submission and queues it. With `?wait=true` the answer waits (bounded) for the result. ' +
            'With an `Idempotency-Key` header, a repeat of the request within the window (24 h by default) ' +
            'answers with the first submission instead of creating another.',
          body: SubmissionBody,
          querystring: WaitQuery,
          headers: IdempotencyHeaders,
          response: { 200: SubmissionView, 201: CreatedView, 202: CreatedView, ...problems },
        },
        // fastify would parse text/plain into a string and report a schema error; say what is wrong instead.
        onRequest: (request, _reply, next) => {
          const type = request.headers['content-type'] ?? '';
          next(
            /^application\/json\b/i.test(type)
              ? undefined
              : new ProblemError(415, 'unsupported_media_type', 'Send the body as application/json'),
          );
        },
      },
      async (request, reply) => {
        const apiKey = await ctx.apiKeys.authenticate(request);
        service.admit();
        const decoded = await service.decode(request.body);
        const wait = request.query.wait === 'true' || request.query.wait === '1';
        const closed = new AbortController();
        // The response's close, not the request's: the request stream has already closed once fastify read
        // the body, so only the response tells of a client that hung up while waiting.
        reply.raw.once('close', () => closed.abort());
        const idempotencyKey = request.headers['idempotency-key'];
        const { id, finished } = await service.create(decoded, {
          wait,
          apiKeyId: apiKey?.id ?? null,
          ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
          signal: closed.signal,
          log: request.log,
        });
        const location = `/api/v1/submissions/${id}`;
        void reply.header('location', location);
        if (finished) return reply.code(200).send(submissionView(finished));
        return reply.code(wait ? 202 : 201).send({ id, state: 'queued' as const, location });
      },
    );

    app.get(
      '/api/v1/submissions/:id',
      {
        schema: {
          summary: 'Read a submission and its result',
          description:
            'With `?wait=true` the answer waits (bounded, as for the POST) until the submission is finished, ' +
            'then answers with it in whatever state it has: the way for a client whose wait was cut off ' +
            '(a restarted webapp, a 202) to wait again without creating anything.',
          params: IdParams,
          querystring: WaitQuery,
          response: { 200: SubmissionView, ...problems },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        const wait = request.query.wait === 'true' || request.query.wait === '1';
        let signal: AbortSignal | undefined;
        if (wait) {
          // Ends early when the client hangs up, or when this server shuts down: the answer is then the
          // current state, which a client repeats (through the edge, to another replica), never a hang.
          const closed = new AbortController();
          reply.raw.once('close', () => closed.abort());
          signal = AbortSignal.any([closed.signal, shutdown.signal]);
        }
        const s = await service.read(id, signal ? { signal } : undefined);
        if (!s) throw notFound(id);
        return submissionView(s);
      },
    );

    app.get(
      '/api/v1/submissions/:id/source',
      {
        schema: {
          summary: 'Read what was submitted (code, stdin, arguments, tests)',
          params: IdParams,
          response: { 200: SourceView, ...problems },
        },
      },
      async (request) => {
        const s = await ctx.store.get(request.params.id);
        if (!s) throw notFound(request.params.id);
        return sourceView(s);
      },
    );

    app.get(
      '/api/v1/submissions/:id/events',
      {
        config: { sse: true },
        schema: {
          summary: 'Follow a submission live (Server-Sent Events)',
          description:
            'Events: `state`, `output` (live stdout/stderr chunks), then `result` (the full submission) or `cancelled`. ' +
            'Resumes after the `Last-Event-ID` header, or the `last_event_id` query parameter.',
          params: IdParams,
          querystring: EventsQuery,
          response: { ...problems },
        },
      },
      async (request, reply) => {
        const s = await ctx.store.get(request.params.id);
        if (!s) throw notFound(request.params.id);
        // The header is what EventSource sends on its own reconnects; the query parameter is for a page
        // that opens a new EventSource after the browser gave up (a new one cannot set the header).
        const lastEventId = request.headers['last-event-id'] ?? request.query.last_event_id;
        ctx.metrics.eventStreamsOpen.inc();
        try {
          await streamEvents(
            ctx,
            request,
            reply,
            s,
            typeof lastEventId === 'string' ? lastEventId : undefined,
            shutdown.signal,
          );
        } finally {
          ctx.metrics.eventStreamsOpen.dec();
        }
      },
    );

    app.delete(
      '/api/v1/submissions/:id',
      {
        schema: {
          summary: 'Cancel (if queued or running) and delete a submission',
          params: IdParams,
          response: { 204: Type.Null(), ...problems },
        },
      },
      async (request, reply) => {
        await ctx.apiKeys.authenticate(request);
        const { id } = request.params;
        if (!(await service.cancel(id, request.log))) throw notFound(id);
        return reply.code(204).send(null);
      },
    );
    done();
  };
}
