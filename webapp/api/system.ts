import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Gauge } from 'prom-client';
import type { ApiContext } from './context.js';
import { ProblemSchema } from './errors.js';
import { HealthView, LanguageView, StatusView } from './schemas.js';

/** Languages, cluster status, health and metrics. */
export function systemRoutes(ctx: ApiContext): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    const stats = () => ctx.monitor.stats;
    new Gauge({
      name: 'remcode_queue_depth',
      help: 'Submissions waiting for an executor',
      registers: [ctx.registry],
      collect() {
        this.set(stats().depth);
      },
    });
    new Gauge({
      name: 'remcode_queue_oldest_job_age_seconds',
      help: 'Age of the oldest waiting submission',
      registers: [ctx.registry],
      collect() {
        this.set(stats().oldestAgeSeconds);
      },
    });
    new Gauge({
      name: 'remcode_queue_active_jobs',
      help: 'Submissions held by executors',
      registers: [ctx.registry],
      collect() {
        this.set(stats().active);
      },
    });
    new Gauge({
      name: 'remcode_executors_online',
      help: 'Executors with a live heartbeat',
      registers: [ctx.registry],
      collect() {
        this.set(stats().executorsOnline);
      },
    });
    new Gauge({
      name: 'remcode_database_size_bytes',
      help: 'Size of the Postgres database on disk, as Postgres reports it',
      registers: [ctx.registry],
      async collect() {
        try {
          const { rows } = await ctx.pool.query<{ bytes: string }>(
            'SELECT pg_database_size(current_database()) AS bytes',
          );
          this.set(Number(rows[0]?.bytes ?? 0));
        } catch {
          // The scrape keeps the last reading; /readyz is where an unreachable Postgres shows.
        }
      },
    });
    new Gauge({
      name: 'remcode_wait_requests',
      help: 'Submissions with a request waiting on them (wait=true or event streams)',
      registers: [ctx.registry],
      collect() {
        this.set(ctx.hub.waiting);
      },
    });

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
        })),
    );

    app.get(
      '/api/v1/status',
      {
        schema: { summary: 'Queue depth, running jobs and executors online', response: { 200: StatusView } },
      },
      (_request, reply) => {
        const s = stats();
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
          summary: 'Postgres and Redis answer, and the process is not draining',
          response: { 200: HealthView, 503: HealthView },
        },
      },
      async (_request, reply) => {
        // A draining process answers at once: the edge must stop choosing it within one check interval.
        if (ctx.lifecycle.state !== 'serving')
          return reply
            .code(503)
            .send({ status: ctx.lifecycle.state, checks: { process: ctx.lifecycle.state } });
        const checks: Record<string, string> = {};
        await Promise.all([
          ctx.pool.query('SELECT 1').then(
            () => (checks.postgres = 'ok'),
            () => (checks.postgres = 'unreachable'),
          ),
          ctx.redis.ping().then(
            () => (checks.redis = 'ok'),
            () => (checks.redis = 'unreachable'),
          ),
        ]);
        const ok = Object.values(checks).every((v) => v === 'ok');
        return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
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
