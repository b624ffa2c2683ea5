/** The controller's small HTTP API: `/status`, `/healthz`, `/metrics`. */
import Fastify from 'fastify';
import type { Logger } from 'pino';
import type { Autoscaler } from './autoscale/autoscaler.js';
import type { ControllerDaemon } from './daemon.js';
import type { Rebalancer } from './rebalance/rebalancer.js';
import type { ControllerMetrics } from './reconcile/metrics.js';
import type { Reconciler } from './reconcile/reconciler.js';

export function buildServer(deps: {
  daemon: ControllerDaemon;
  reconciler: Reconciler;
  metrics: ControllerMetrics;
  logger: Logger;
  autoscaler?: Autoscaler;
  rebalancer?: Rebalancer;
}) {
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'http' }),
    disableRequestLogging: true,
  });
  app.get('/healthz', async (_request, reply) => {
    const healthy = deps.daemon.healthy();
    return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'unhealthy' });
  });
  app.get('/status', () => {
    const { services, events } = deps.reconciler.status();
    return {
      controller: deps.daemon.status(),
      services,
      events,
      autoscale: deps.autoscaler?.status() ?? [],
      rebalance: deps.rebalancer?.status(),
    };
  });
  app.get('/metrics', async (_request, reply) => {
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  return app;
}
