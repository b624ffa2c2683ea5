/**
 * Entry of the controller.
 *   controller plan  -f FILE   prints the diff; exit 0 when in sync, 2 when changes are pending
 *   controller apply -f FILE   applies until converged (or --timeout), exit 0 when converged
 *   controller run   -f FILE   the daemon, with /status, /healthz, /metrics on CONTROLLER_PORT (9102)
 *   controller status          prints the running daemon's /status (--json for the raw answer)
 * Environment (parsed once in common/config.ts): CONTROLLER_PORT (9102), CONTROLLER_HOST (127.0.0.1;
 * 0.0.0.0 in a container), REDIS_URL and REDIS_PASSWORD_FILE, REMCODE_PREFIX, PROMETHEUS_URL (for
 * autoscale checks), LOG_LEVEL (info), DOCKER_HOST (the local socket).
 */
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { parseControllerConfig } from '../common/config.js';
import { parseDurationMs } from '../common/limits.js';
import { createRedis } from '../common/redis.js';
import { Autoscaler } from './autoscale/autoscaler.js';
import { createAutoscaleMetrics } from './autoscale/metrics.js';
import { PrometheusSource } from './autoscale/prometheus-source.js';
import { QueueSource } from './autoscale/queue-source.js';
import { Retirer } from './autoscale/retire.js';
import { SwarmScaleTarget } from './autoscale/swarm-target.js';
import { createLogger } from '../common/logger.js';
import { ControllerDaemon } from './daemon.js';
import { formatIssue, loadDesired } from './desired/load.js';
import { formatPlan, pendingChanges } from './plan/planner.js';
import { createControllerMetrics } from './reconcile/metrics.js';
import { registerNodeMetrics } from './reconcile/node-metrics.js';
import { Reconciler } from './reconcile/reconciler.js';
import { autoscalerBusy } from './rebalance/guard.js';
import { createRebalanceMetrics } from './rebalance/metrics.js';
import { Rebalancer } from './rebalance/rebalancer.js';
import { buildServer } from './server.js';
import { fetchStatus, formatStatus } from './status-cli.js';
import { SwarmClient } from './swarm/docker.js';

const USAGE = 'usage: controller plan|apply|run -f FILE [--json] [--timeout 5m] | controller status [--json]';
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      file: { type: 'string', short: 'f', default: 'manifests/remcode.yaml' },
      json: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '5m' },
    },
  });
  const command = positionals[0];
  if (command !== 'plan' && command !== 'apply' && command !== 'run' && command !== 'status') {
    console.error(USAGE);
    return 64;
  }
  const config = parseControllerConfig();
  if (command === 'status') {
    const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
    const status = await fetchStatus(`http://${host}:${config.port}/status`);
    console.log(values.json ? JSON.stringify(status, null, 2) : formatStatus(status));
    return 0;
  }
  const level = LEVELS.find((l) => l === process.env.LOG_LEVEL) ?? 'info';
  const logger = createLogger('controller', command === 'plan' ? 'warn' : level);
  const metrics = createControllerMetrics();
  const docker = new Docker();
  const client = new SwarmClient(docker);
  const file = values.file;

  if (command === 'plan') {
    const loaded = await loadDesired(file);
    if (!loaded.ok) {
      for (const issue of loaded.issues) console.error(formatIssue(issue));
      return 1;
    }
    const reconciler = new Reconciler({ client, logger, metrics });
    const { plan } = await reconciler.plan(loaded.desired);
    console.log(values.json ? JSON.stringify(plan, null, 2) : formatPlan(plan, loaded.desired.stack));
    return pendingChanges(plan) > 0 ? 2 : 0;
  }

  if (command === 'apply') {
    const loaded = await loadDesired(file);
    if (!loaded.ok) {
      for (const issue of loaded.issues) console.error(formatIssue(issue));
      return 1;
    }
    const deadline = Date.now() + parseDurationMs(values.timeout, '--timeout');
    const reconciler = new Reconciler({ client, logger, metrics, dependencyWaitMs: 10_000 });
    for (;;) {
      const result = await reconciler.reconcile(loaded.desired, 1, file);
      const { plan } = await reconciler.plan(loaded.desired);
      const pending = pendingChanges(plan);
      if (pending === 0) {
        console.log(formatPlan(plan, loaded.desired.stack));
        return result.blocked > 0 ? 3 : 0;
      }
      if (Date.now() > deadline) {
        console.error(`not converged before the timeout:\n${formatPlan(plan, loaded.desired.stack)}`);
        return 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }

  const rebalancer = new Rebalancer({
    docker,
    client,
    logger,
    metrics: createRebalanceMetrics(metrics.registry),
    busy: (service) => autoscalerBusy(autoscaler.status(), service, Date.now()),
  });
  const reconciler = new Reconciler({ client, logger, metrics, heldReplicas: () => rebalancer.held() });
  registerNodeMetrics(metrics.registry, docker);
  const redis = config.redisEnabled
    ? createRedis(
        { url: config.redisUrl, password: config.redisPassword, role: 'request', name: 'controller' },
        logger.child({ component: 'redis' }),
      )
    : undefined;
  const queue = redis ? new QueueSource(redis, config.prefix) : undefined;
  const autoscaleMetrics = createAutoscaleMetrics(metrics.registry);
  const autoscaler = new Autoscaler({
    logger,
    metrics: autoscaleMetrics,
    target: (stack, fullName) => new SwarmScaleTarget(client, stack, fullName),
    queue,
    retirer:
      redis && queue
        ? new Retirer({
            redis,
            prefix: config.prefix,
            logger,
            metrics: autoscaleMetrics,
            executors: () => queue.executors(),
          })
        : undefined,
    prometheus: new PrometheusSource(),
    prometheusUrl: config.prometheusUrl,
  });
  const daemon = new ControllerDaemon({
    file,
    reconciler,
    logger,
    metrics,
    docker,
    onDesired: (desired) => {
      autoscaler.setDesired(desired);
      rebalancer.setDesired(desired);
    },
  });
  const server = buildServer({ daemon, reconciler, metrics, logger, autoscaler, rebalancer });
  await server.listen({ port: config.port, host: config.host });
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) {
      logger.warn({ signal }, 'second signal; exiting now');
      process.exit(1);
    }
    closing = true;
    logger.info({ signal }, 'stopping');
    // The grace fits inside Swarm's default 10 s stop grace period.
    setTimeout(() => process.exit(1), 8_000).unref();
    void Promise.allSettled([daemon.close(), server.close(), autoscaler.close(), rebalancer.close()])
      .then(() => Promise.allSettled([queue?.close(), redis?.quit()]))
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => {
    logger.info('SIGHUP: reloading the desired state');
    daemon.trigger('sighup', true);
  });
  await rebalancer.start();
  await daemon.start();
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
