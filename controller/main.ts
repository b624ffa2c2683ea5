/**
 * Entry of the controller.
 *   controller plan  -f FILE   prints the diff; exit 0 when in sync, 2 when changes are pending
 *   controller apply -f FILE   applies until converged (or --timeout), exit 0 when converged
 *   controller run   -f FILE   the daemon, with /status, /healthz, /metrics on CONTROLLER_PORT (9102)
 * Environment: CONTROLLER_PORT (9102), CONTROLLER_HOST (127.0.0.1; 0.0.0.0 in a container), LOG_LEVEL
 * (info), DOCKER_HOST (the local socket).
 */
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { parseDurationMs } from '../common/limits.js';
import { createLogger } from '../common/logger.js';
import { ControllerDaemon } from './daemon.js';
import { formatIssue, loadDesired } from './desired/load.js';
import { formatPlan, pendingChanges } from './plan/planner.js';
import { createControllerMetrics } from './reconcile/metrics.js';
import { Reconciler } from './reconcile/reconciler.js';
import { buildServer } from './server.js';
import { SwarmClient } from './swarm/docker.js';

const USAGE = 'usage: controller plan|apply|run -f FILE [--json] [--timeout 5m]';
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
  if (command !== 'plan' && command !== 'apply' && command !== 'run') {
    console.error(USAGE);
    return 64;
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

  const reconciler = new Reconciler({ client, logger, metrics });
  const daemon = new ControllerDaemon({ file, reconciler, logger, metrics, docker });
  const server = buildServer({ daemon, reconciler, metrics, logger });
  const port = Number(process.env.CONTROLLER_PORT ?? 9102);
  await server.listen({ port, host: process.env.CONTROLLER_HOST ?? '127.0.0.1' });
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
    void Promise.allSettled([daemon.close(), server.close()]).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => {
    logger.info('SIGHUP: reloading the desired state');
    daemon.trigger('sighup', true);
  });
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
