/**
 * Entry of the controller.
 *   controller plan  -f FILE   prints the diff; exit 0 when in sync, 2 when changes are pending
 *   controller apply -f FILE   applies until converged (or --timeout), exit 0 when converged
 *   controller run   -f FILE   the daemon, with /status, /healthz, /metrics on CONTROLLER_PORT (9102)
 *   controller status          prints the running daemon's /status (--json for the raw answer), read
 *                              over CONTROLLER_SOCKET, else the socket in swarm:up's volume, else TCP
 * Environment (parsed once in common/config.ts): CONTROLLER_PORT (9102), CONTROLLER_HOST (127.0.0.1;
 * 0.0.0.0 in a container), CONTROLLER_SOCKET (unset; the API on a Unix socket too), REDIS_URL and REDIS_PASSWORD_FILE, REMCODE_AUTOSCALE_REDIS (on), REMCODE_PREFIX,
 * PROMETHEUS_URL (for autoscale checks), LOG_LEVEL (info), DOCKER_HOST (the local socket).
 */
import { chmod, mkdir, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { CONTROLLER_RUN_VOLUME, parseControllerConfig, type ControllerConfig } from '../common/config.js';
import { parseDurationMs } from '../common/units.js';
import { createRegistry } from '../common/metrics.js';
import type { Logger } from '../common/logger.js';
import { startProgram } from '../common/program.js';
import { createRedis } from '../common/redis.js';
import { handleSignals } from '../common/signals.js';
import { Autoscaler } from './autoscale/autoscaler.js';
import { createAutoscaleMetrics, registerInterruptedRuns } from './autoscale/metrics.js';
import { PoolParking } from './autoscale/parking.js';
import { PrometheusSource } from './autoscale/prometheus-source.js';
import { QueueSource } from './autoscale/queue-source.js';
import { Retirer } from './autoscale/retire.js';
import { SwarmScaleTarget } from './autoscale/swarm-target.js';
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
import { fetchStatus, formatStatus, type StatusTarget } from './status-cli.js';
import { SwarmClient } from './swarm/docker.js';
import { poolOfService } from './desired/pools.js';
import { DEFAULT_POOL } from '../common/pools.js';
import { runCloseSteps } from '../common/lifecycle/close-steps.js';

const USAGE = 'usage: controller plan|apply|run -f FILE [--json] [--timeout 5m] | controller status [--json]';
const COMMANDS = ['plan', 'apply', 'run', 'status'] as const;
type Command = (typeof COMMANDS)[number];

interface Args {
  readonly command: Command;
  readonly file: string;
  readonly json: boolean;
  readonly timeout: string;
}

function parseArguments(argv: string[]): Args | undefined {
  try {
    const { positionals, values } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        file: { type: 'string', short: 'f', default: 'manifests/remcode.yaml' },
        json: { type: 'boolean', default: false },
        timeout: { type: 'string', default: '5m' },
      },
    });
    const command = COMMANDS.find((c) => c === positionals[0]);
    return command && { command, file: values.file, json: values.json, timeout: values.timeout };
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    return undefined;
  }
}

/**
 * The socket when one is there (a controller in a container publishes no port), else loopback. A
 * socket named by CONTROLLER_SOCKET is used even if missing, so the error names what was asked for.
 */
async function statusTarget(config: ControllerConfig): Promise<StatusTarget> {
  if (config.socket) return { socketPath: config.socket };
  const volume = await new Docker()
    .getVolume(CONTROLLER_RUN_VOLUME)
    .inspect()
    .catch(() => undefined);
  if (volume) {
    const socketPath = join(volume.Mountpoint, 'controller.sock');
    const found = await stat(socketPath).catch(() => undefined);
    if (found?.isSocket()) return { socketPath };
  }
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  return { url: `http://${host}:${config.port}/status` };
}

/** plan, apply and status: one pass, then the exit code. */
async function once(args: Args, config: ControllerConfig, logger: Logger): Promise<number> {
  if (args.command === 'status') {
    const status = await fetchStatus(await statusTarget(config));
    console.log(args.json ? JSON.stringify(status, null, 2) : formatStatus(status));
    return 0;
  }
  const loaded = await loadDesired(args.file);
  if (!loaded.ok) {
    for (const issue of loaded.issues) console.error(formatIssue(issue));
    return 1;
  }
  const client = new SwarmClient(new Docker());
  const metrics = createControllerMetrics();
  if (args.command === 'plan') {
    const reconciler = new Reconciler({ client, logger, metrics });
    const { plan } = await reconciler.plan(loaded.desired);
    console.log(args.json ? JSON.stringify(plan, null, 2) : formatPlan(plan, loaded.desired.stack));
    return pendingChanges(plan) > 0 ? 2 : 0;
  }
  const deadline = Date.now() + parseDurationMs(args.timeout, '--timeout');
  const reconciler = new Reconciler({ client, logger, metrics, dependencyWaitMs: 10_000 });
  for (;;) {
    const result = await reconciler.reconcile(loaded.desired, 1, args.file);
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

/**
 * Serves the API on a Unix socket too, readable by root only (it shows the cluster's state). A socket
 * left by a controller that was killed is replaced; any other file there is an error, never deleted.
 */
async function listenOnSocket(server: ReturnType<typeof buildServer>, path: string) {
  const existing = await stat(path).catch(() => undefined);
  if (existing && !existing.isSocket())
    throw new Error(`CONTROLLER_SOCKET ${path} exists and is not a socket; remove it or choose another path`);
  if (existing) await unlink(path);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await server.listen({ path });
  await chmod(path, 0o600);
  return server;
}

/** The daemon: reconciler, autoscaler and rebalancer behind one HTTP server, until a signal. */
async function daemon(file: string, config: ControllerConfig, logger: Logger): Promise<void> {
  const metrics = createControllerMetrics(createRegistry('controller'));
  const docker = new Docker();
  const client = new SwarmClient(docker);
  const redis = config.redisEnabled
    ? createRedis(
        { url: config.redisUrl, password: config.redisPassword, role: 'request', name: 'controller' },
        logger.child({ component: 'redis' }),
      )
    : undefined;
  const queue = redis ? new QueueSource(redis, config.prefix) : undefined;
  const parking = redis ? new PoolParking(redis, config.prefix) : undefined;
  if (queue) registerInterruptedRuns(metrics.registry, () => queue.interruptedRuns());
  const autoscaleMetrics = createAutoscaleMetrics(metrics.registry);
  // Each executor service retires only executors of its own pool.
  const poolOf = new Map<string, string>();
  // One retirement path for both parts that lower an executor count: the autoscaler's scale-in and the
  // rebalancer's scale-down.
  const retirer =
    redis && queue
      ? new Retirer({
          redis,
          prefix: config.prefix,
          logger,
          metrics: autoscaleMetrics,
          executors: (service) => queue.executors(Date.now(), poolOf.get(service) ?? DEFAULT_POOL),
        })
      : undefined;
  const rebalancer = new Rebalancer({
    docker,
    client,
    logger,
    metrics: createRebalanceMetrics(metrics.registry),
    busy: (service) => autoscalerBusy(autoscaler.status(), service, Date.now()),
    ...(retirer ? { retirer } : {}),
  });
  const reconciler = new Reconciler({ client, logger, metrics, heldReplicas: () => rebalancer.held() });
  registerNodeMetrics(metrics.registry, docker);
  const autoscaler = new Autoscaler({
    logger,
    metrics: autoscaleMetrics,
    target: (stack, fullName) => new SwarmScaleTarget(client, stack, fullName),
    queue,
    retirer,
    parking,
    prometheus: new PrometheusSource(),
    prometheusUrl: config.prometheusUrl,
  });
  const controller = new ControllerDaemon({
    file,
    reconciler,
    logger,
    metrics,
    docker,
    onDesired: (desired) => {
      poolOf.clear();
      for (const [name, def] of Object.entries(desired.services)) poolOf.set(name, poolOfService(name, def));
      void autoscaler.setDesired(desired);
      rebalancer.setDesired(desired);
    },
  });
  const parts = { daemon: controller, reconciler, metrics, logger, autoscaler, rebalancer };
  const server = buildServer(parts);
  await server.listen({ port: config.port, host: config.host });
  const socketServer = config.socket ? await listenOnSocket(buildServer(parts), config.socket) : undefined;
  handleSignals(
    logger,
    async () => {
      // The loops each wait for their pass in progress: side by side, so the slowest alone bounds the stop.
      await runCloseSteps(
        [
          [
            ['reconciler', () => controller.close()],
            ['status server', () => server.close()],
            ['status socket', () => socketServer?.close()],
            ['autoscaler', () => autoscaler.close()],
            ['rebalancer', () => rebalancer.close()],
          ],
          ['queue source', () => queue?.close()],
          ['redis', () => redis?.quit()],
        ],
        logger,
      );
    },
    // Inside the 10 s stop grace period swarm:up gives the controller's service.
    8_000,
  );
  process.on('SIGHUP', () => {
    logger.info('SIGHUP: reloading the desired state');
    controller.trigger('sighup', true);
  });
  await rebalancer.start();
  await controller.start();
}

const args = parseArguments(process.argv.slice(2));
if (!args) {
  console.error(USAGE);
  process.exit(64);
}
const command = args.command;
startProgram(
  'controller',
  // plan prints the plan; the log would only get in its way.
  () => {
    const config = parseControllerConfig();
    return command === 'plan' ? { ...config, logLevel: 'warn' as const } : config;
  },
  async (config, logger) => {
    if (command === 'run') return daemon(args.file, config, logger);
    process.exit(await once(args, config, logger));
  },
  { postgres: false },
);
