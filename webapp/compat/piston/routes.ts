import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiContext } from '../../context.js';
import { ProblemError, outageProblem } from '../../api/errors.js';
import type { SubmissionService } from '../../submissions/service.js';
import { findRuntime, pistonRuntimes } from './runtimes.js';
import { PistonError, PistonExecuteBody, PistonExecuteView, PistonRuntimeView } from './schemas.js';
import { PistonRequestError, toExecuteView, toSubmissionBody } from './translate.js';

/** Beyond the run's own wall limit, how long an execute request waits for a queue slot and a compile. */
const EXTRA_WAIT_MS = 120_000;

const errors = { '4xx': PistonError, '5xx': PistonError };

/** Piston's message for a body that fails the schema, from the first failing field. */
function schemaMessage(error: FastifyError): string {
  const first = error.validation?.[0];
  if (!first) return error.message;
  const missing = (first.params as { missingProperty?: unknown }).missingProperty;
  const path = `${first.instancePath}${typeof missing === 'string' ? `/${missing}` : ''}`
    .split('/')
    .filter((p) => p !== '');
  const [top, index, field] = path;
  if (top === 'language' || top === 'version') return `${top} is required as a string`;
  if (top === 'files' && index === undefined) return 'files is required as an array';
  if (top === 'files' && field === 'content') return `files[${index}].content is required as a string`;
  if (top !== undefined && /_(timeout|cpu_time|memory_limit)$/.test(top))
    return `If specified, ${top} must be a number`;
  return `${path.join('.') || 'body'} ${first.message ?? 'is not valid'}`;
}

/**
 * Piston v2 under `/api/v2`: `GET /runtimes` and `POST /execute`, answered by the same queue, executors
 * and sandbox as the v1 API. Errors are Piston's `{message}` bodies.
 */
export function pistonRoutes(ctx: ApiContext, service: SubmissionService): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    // Piston's clients often post JSON without a JSON content type (node-fetch sends text/plain).
    const parseJson = (
      _request: unknown,
      body: string | Buffer,
      parsed: (e: Error | null, v?: unknown) => void,
    ) => {
      try {
        parsed(null, JSON.parse(body.toString()) as unknown);
      } catch (error) {
        parsed(error as Error, undefined);
      }
    };
    app.removeContentTypeParser('text/plain');
    app.addContentTypeParser('text/plain', { parseAs: 'string' }, parseJson);
    app.addContentTypeParser('*', { parseAs: 'string' }, parseJson);

    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof PistonRequestError) return reply.code(400).send({ message: error.message });
      if (error.code === 'FST_ERR_VALIDATION') return reply.code(400).send({ message: schemaMessage(error) });
      const outage = error instanceof ProblemError ? undefined : outageProblem(error);
      if (outage) {
        request.log.warn({ err: error, code: outage.code }, 'dependency unavailable');
        for (const [name, value] of Object.entries(outage.headers)) void reply.header(name, value);
        return reply.code(503).send({ message: `${outage.title}: ${outage.detail ?? ''}` });
      }
      if (error instanceof ProblemError) {
        for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value);
        // Piston answers every refusal of a request with 400; keep the statuses that tell a client to wait
        // or to authenticate, which Piston never needed.
        const status = [401, 429, 503].includes(error.status) || error.status >= 500 ? error.status : 400;
        const message = error.detail !== undefined ? `${error.title}: ${error.detail}` : error.title;
        return reply.code(status).send({ message });
      }
      if (error instanceof SyntaxError || (error.statusCode === 400 && /JSON/i.test(error.message)))
        return reply.code(400).send({ message: 'The body is not valid JSON' });
      if (error.statusCode !== undefined && error.statusCode < 500)
        return reply.code(error.statusCode).send({ message: error.message });
      request.log.error({ err: error }, 'unhandled error');
      return reply.code(500).send({ message: 'Something went wrong on our side' });
    });

    app.get(
      '/api/v2/runtimes',
      {
        schema: {
          summary: 'Piston v2: installed runtimes',
          response: { 200: Type.Array(PistonRuntimeView), ...errors },
        },
      },
      async () => pistonRuntimes(await ctx.languages.list()),
    );

    app.post(
      '/api/v2/execute',
      {
        schema: {
          summary: 'Piston v2: run a program and answer with its output',
          description:
            'Queued and run like any RemCode submission; the answer waits for the result. `-1` limits take the operator maximum.',
          body: PistonExecuteBody,
          response: { 200: PistonExecuteView, ...errors },
        },
      },
      async (request, reply) => {
        const apiKey = await ctx.apiKeys.authenticate(request);
        const body = request.body;
        const languages = await ctx.languages.list();
        if (languages.length === 0)
          throw new ProblemError(503, 'no_executors', 'No executor is ready to run code yet', undefined, {
            'retry-after': '5',
          });
        const found = findRuntime(languages, body.language, body.version);
        if (!found) throw new PistonRequestError(`${body.language}-${body.version} runtime is unknown`);
        service.admit();
        const decoded = await service.decode(toSubmissionBody(body, found.language, ctx.config.limitMaxima));
        const closed = new AbortController();
        // The response's close tells of a client that hung up while waiting (the request's has already fired).
        reply.raw.once('close', () => closed.abort());
        const created = await service.create(decoded, {
          wait: true,
          apiKeyId: apiKey?.id ?? null,
          signal: closed.signal,
          log: request.log,
        });
        // Piston answers only once the program ran, however long the queue: wait on past the v1 bound.
        const finished =
          created.finished ??
          (await service.finished(created.id, decoded.limits.wallTimeMs + EXTRA_WAIT_MS, closed.signal));
        if (!finished)
          throw new ProblemError(503, 'not_finished', 'The run did not finish in time', 'Try again later', {
            'retry-after': '5',
          });
        return toExecuteView(finished, found.runtime);
      },
    );
    done();
  };
}
