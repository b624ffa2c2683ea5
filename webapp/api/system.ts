import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ApiContext } from '../context.js';
import type { Readiness } from '../readiness.js';
import { ProblemSchema } from './errors.js';
import { HealthView, LanguageView, StatusView } from './schemas.js';

/** Languages, cluster status, health and metrics. */
export function systemRoutes(ctx: ApiContext, readiness: Readiness): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.get(
      '/api/v1/languages',
      {
        schema: {
          summary: 'Installed languages with their real versions',
          response: { 200: Type.Array(LanguageView), '5xx': ProblemSchema },
        },
      },
      async () =>
        (await ctx.languages.list()).map((l) => ({
          id: l.id,
          name: l.name,
          aliases: [...l.aliases],
          version: l.version,
          available: l.available,
          unavailable_reason: l.unavailableReason,
          source_file: l.sourceFile,
          compiled: l.compiled,
          editor_mode: l.editorMode,
          starter: l.starter,
          starter_stdin: l.starterStdin ?? '',
          cold: l.cold,
        })),
    );

    app.get(
      '/api/v1/status',
      {
        schema: { summary: 'Queue depth, running jobs and executors online', response: { 200: StatusView } },
      },
      (_request, reply) => {
        const s = ctx.monitor.stats;
        void reply.send({
          queue_depth: s.depth,
          running: s.active,
          oldest_job_age_seconds: Math.round(s.oldestAgeSeconds * 1000) / 1000,
          executors_online: s.executorsOnline,
          executor_slots: s.slots,
          busy_slots: s.busySlots,
        });
      },
    );

    app.get(
      '/healthz',
      { schema: { summary: 'The process is alive', response: { 200: HealthView } } },
      (_request, reply) => {
        void reply.send({ status: 'ok' });
      },
    );

    app.get(
      '/readyz',
      {
        schema: {
          summary:
            'Not draining, and Postgres not away for longer than the outage budget (checks name each outage)',
          response: { 200: HealthView, 503: HealthView },
        },
      },
      async (_request, reply) => {
        const { ready, status, checks } = await readiness.check();
        return reply.code(ready ? 200 : 503).send({ status, checks });
      },
    );

    app.get(
      '/metrics',
      { schema: { summary: 'Prometheus metrics', hide: true } },
      async (_request, reply) => {
        const body = await ctx.registry.metrics();
        return reply.type(ctx.registry.contentType).send(body);
      },
    );
    done();
  };
}
