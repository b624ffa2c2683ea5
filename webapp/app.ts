import Fastify, { LogController } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiContext } from './context.js';
import { installErrorHandlers, ProblemError } from './api/errors.js';
import { collectOpenApi } from './api/openapi.js';
import { Readiness } from './readiness.js';
import { SubmissionService } from './submissions/service.js';
import { submissionRoutes } from './api/submissions.js';
import { systemRoutes } from './api/system.js';
import { compatRoutes } from './compat/routes.js';

/** What answers while the schema is not current. */
const PROBES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/** A plugin registered after the API in its own encapsulated context, such as the browser UI. */
export type AppPlugin = (app: FastifyInstance, context: ApiContext) => Promise<void>;

export interface BuildAppOptions {
  /** Extra plugins, registered after the API routes (the UI's page routes must not shadow them). */
  readonly plugins?: readonly AppPlugin[];
}

/** The webapp's HTTP server: API routes, health, metrics, OpenAPI, and any extra plugins. */
export async function buildApp(ctx: ApiContext, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const base = Fastify<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    loggerInstance: ctx.logger.child({ component: 'http' }),
    // Per-request logs would double the log volume of a busy API; latency is in the metrics instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ctx.config.maxBodyBytes,
    trustProxy: true,
    ajv: {
      // Unknown fields are errors and types are never guessed; fastify's defaults would strip and coerce.
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false },
    },
  });
  const app = base.withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onResponse', async (request, reply) => {
    ctx.metrics.httpRequestSeconds.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  // A draining replica closes each connection after its answer: a keep-alive connection (a balancer
  // holds a pool of them) would otherwise keep the server open until the stop deadline.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (ctx.lifecycle.state !== 'serving') void reply.header('connection', 'close');
    return payload;
  });
  installErrorHandlers(app);
  // Until the schema is current only the probes and metrics answer; the edge sends nothing here then,
  // and a client that reaches the task directly is told to come back.
  app.addHook('onRequest', (request, _reply, done) => {
    if (ctx.schema.state === 'current' || PROBES.has(request.url.split('?')[0] ?? '')) {
      done();
      return;
    }
    done(
      new ProblemError(
        503,
        'schema_not_ready',
        'The service is starting',
        'The database schema is not yet at the version this webapp expects; try again shortly',
        { 'retry-after': '5' },
      ),
    );
  });
  const openapi = collectOpenApi(app, { title: 'RemCode API', version: '1' });
  // One service behind every dialect, so they all admit, validate and run submissions the same way.
  const submissions = new SubmissionService(ctx);
  await app.register(submissionRoutes(ctx, submissions));
  await app.register(compatRoutes(ctx, submissions));
  await app.register(systemRoutes(ctx, new Readiness(ctx)));
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, (_request, reply) => reply.send(openapi()));
  for (const plugin of options.plugins ?? []) await base.register((child) => plugin(child, ctx));
  await app.ready();
  return base;
}
