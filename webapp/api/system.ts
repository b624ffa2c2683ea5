import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { classifyOutage } from '../../common/outage.js';
import type { Dependency } from '../../common/outage.js';
import type { ApiContext } from '../context.js';
import { ProblemSchema } from './errors.js';
import { HealthView, LanguageView, StatusView } from './schemas.js';

/** A readiness probe answers within this, so the edge's one-second checks do not pile up. */
const PROBE_TIMEOUT_MS = 1_000;

/** Languages, cluster status, health and metrics. */
export function systemRoutes(ctx: ApiContext): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    /** When each dependency's current outage began, as readiness probes saw it. */
    const outageSince: Partial<Record<Dependency, number>> = {};
    /** 'ok', or the class of the failure; never slower than the probe timeout. */
    const probe = async (dependency: Dependency, check: () => Promise<unknown>): Promise<string> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('Command timed out')), PROBE_TIMEOUT_MS);
      });
      try {
        await Promise.race([check(), timeout]);
        delete outageSince[dependency];
        return 'ok';
      } catch (error) {
        outageSince[dependency] ??= Date.now();
        return classifyOutage(error) ?? 'failing';
      } finally {
        clearTimeout(timer);
      }
    };

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
        // A draining process answers at once: the edge must stop choosing it within one check interval.
        if (ctx.lifecycle.state !== 'serving')
          return reply
            .code(503)
            .send({ status: ctx.lifecycle.state, checks: { process: ctx.lifecycle.state } });
        const [postgres, redis] = await Promise.all([
          probe('postgres', () => ctx.pool.query('SELECT 1')),
          probe('redis', () => ctx.redis.ping()),
        ]);
        const checks: Record<string, string> = { postgres, redis };
        if (ctx.enqueuer.deferred > 0) checks.deferred_submissions = String(ctx.enqueuer.deferred);
        // An outage of a dependency every replica shares is not a reason to leave the edge's rotation
        // while requests can still wait it out (and a Redis outage does not stop intake at all): with
        // every replica out, the edge would refuse what the webapp could have taken. Only a Postgres
        // outage longer than the budget, when every request would fail anyway, is not ready.
        const postgresOut = outageSince.postgres;
        const down = postgresOut !== undefined && Date.now() - postgresOut >= ctx.config.outageBudgetMs;
        const ok = postgres === 'ok' && redis === 'ok';
        return reply
          .code(down ? 503 : 200)
          .send({ status: down ? 'unavailable' : ok ? 'ok' : 'degraded', checks });
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
