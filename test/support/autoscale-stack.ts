/**
 * A small RemCode platform on the local Swarm for autoscaling tests and the autoscale benchmark: Redis,
 * Postgres, the webapp and the executor from the shipped manifest and images, under a unique stack
 * name. Redis, Postgres and the webapp publish test-only ports on the host so that the caller can read
 * the queue, count claims and submit. The reconciler runs in the caller's process.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import type { AutoscaleDef, DesiredFile } from '../../controller/desired/schema.js';
import { pendingChanges } from '../../controller/plan/planner.js';
import { createControllerMetrics } from '../../controller/reconcile/metrics.js';
import { Reconciler } from '../../controller/reconcile/reconciler.js';
import { ensureImages, firstSubmission, removeStackAndVolumes } from './platform-stack.js';
import { freePort } from './ports.js';
import { shippedManifest, writeStackSecrets } from './shipped-manifest.js';
import { Registry } from 'prom-client';
import { Autoscaler } from '../../controller/autoscale/autoscaler.js';
import { createAutoscaleMetrics, registerInterruptedRuns } from '../../controller/autoscale/metrics.js';
import { PoolParking } from '../../controller/autoscale/parking.js';
import { PrometheusSource } from '../../controller/autoscale/prometheus-source.js';
import { QueueSource } from '../../controller/autoscale/queue-source.js';
import { Retirer } from '../../controller/autoscale/retire.js';
import { SwarmScaleTarget } from '../../controller/autoscale/swarm-target.js';
import { client, docker, removeLater, silentLogger, tempDir, uniqueStack, writeDesired } from './swarm.js';

export interface AutoscaleStackOptions {
  /** An autoscale policy for the executor, or a fixed count. */
  readonly executor: { readonly autoscale: AutoscaleDef } | { readonly replicas: number };
  /** Default `REMCODE_TEST_EXECUTOR_IMAGE`, else `remcode-executor:local`. */
  readonly executorImage?: string;
  /** Slots per executor. Default 2. */
  readonly slots?: number;
}

export interface AutoscaleStack {
  readonly stack: string;
  readonly desired: DesiredFile;
  readonly webappUrl: string;
  /** Redis of the stack, through its test port; the platform's keys are under `remcode`. */
  readonly redis: Redis;
  readonly db: pg.Pool;
  /** Applies `desired` until nothing is pending. */
  converge(): Promise<void>;
  executorReplicas(): Promise<{ spec: number; running: number }>;
  /** Queues a Python program; returns the submission id. */
  submit(source: string): Promise<string>;
  remove(): Promise<void>;
}

export async function startAutoscaleStack(options: AutoscaleStackOptions): Promise<AutoscaleStack> {
  const executorImage =
    options.executorImage ?? process.env.REMCODE_TEST_EXECUTOR_IMAGE ?? 'remcode-executor:local';
  // On a fresh machine (CI) the images are built here, as for the other platform tests.
  await ensureImages(['redis', 'postgres', 'webapp', 'executor']);
  for (const image of [
    'remcode-redis:local',
    'remcode-postgres:local',
    'remcode-webapp:local',
    executorImage,
  ]) {
    await docker
      .getImage(image)
      .inspect()
      .catch(() => {
        throw new Error(`image ${image} is missing: bash manifests/images/build.sh builds it`);
      });
  }
  const manifest = await shippedManifest();
  const { pick } = manifest;
  const stack = uniqueStack();
  const [redisPort, postgresPort, webappPort] = [await freePort(), await freePort(), await freePort()];
  const dir = await tempDir();
  removeLater(dir);
  const { secrets, redisPassword, postgresPassword } = await writeStackSecrets(manifest.desired, dir);

  const redisService = pick('redis');
  redisService.ports = [{ target: 6379, published: redisPort, mode: 'host' }];
  const postgresService = pick('postgres');
  postgresService.ports = [{ target: 5432, published: postgresPort, mode: 'host' }];
  const webapp = pick('webapp');
  webapp.ports = [{ target: 8080, published: webappPort, mode: 'host' }];
  webapp.replicas = 1;
  const executor = pick('executor');
  // The test's own count or policy replaces the manifest's.
  delete executor.replicas;
  delete executor.autoscale;
  executor.image = executorImage;
  const slots = String(options.slots ?? 2);
  executor.environment = { ...executor.environment, EXECUTOR_SLOTS: slots, EXECUTOR_STANDBY_SLOTS: '0' };
  executor.resources = { limits: { cpus: 2, memory: '1GiB' }, reservations: { cpus: 0.1, memory: '64MiB' } };
  if ('autoscale' in options.executor) executor.autoscale = options.executor.autoscale;
  else executor.replicas = options.executor.replicas;
  // A busy machine can take a minute to start an executor or to answer a healthcheck; the shipped
  // periods would let Swarm kill a slow task as unhealthy and take the stack down under the test.
  for (const service of [redisService, postgresService, webapp, executor]) {
    if (service.healthcheck) {
      service.healthcheck = {
        ...service.healthcheck,
        interval: '5s',
        timeout: '5s',
        retries: 30,
        start_period: '90s',
      };
    }
  }
  const desired: DesiredFile = {
    version: 1,
    stack,
    networks: { backend: {} },
    secrets,
    volumes: { pgdata: {} },
    // The migrate job prepares the database for the webapp's and the executors' own roles.
    services: { redis: redisService, postgres: postgresService, migrate: pick('migrate'), webapp, executor },
  };
  // The file lives beside the secrets, which it names by relative path.
  const desiredFile = await writeDesired(dir, '# written by the test\n');
  const reconciler = new Reconciler({
    client,
    logger: silentLogger,
    metrics: createControllerMetrics(),
    dependencyWaitMs: 180_000,
  });
  const webappUrl = `http://127.0.0.1:${webappPort}`;
  const redis = new Redis({
    host: '127.0.0.1',
    port: redisPort,
    password: redisPassword,
    maxRetriesPerRequest: 2,
  });
  redis.on('error', () => undefined);
  const db = new pg.Pool({
    connectionString: `postgres://postgres:${postgresPassword}@127.0.0.1:${postgresPort}/remcode`,
    max: 2,
  });
  db.on('error', () => undefined);

  const platform: AutoscaleStack = {
    stack,
    desired,
    webappUrl,
    redis,
    db,
    async converge() {
      for (let pass = 1; pass <= 20; pass++) {
        await reconciler.reconcile(desired, pass, desiredFile);
        if (pendingChanges((await reconciler.plan(desired)).plan) === 0) return;
      }
      throw new Error(`stack ${stack} did not converge`);
    },
    async executorReplicas() {
      const name = `${stack}_executor`;
      const inspected = (await docker.getService(name).inspect()) as {
        Spec: { Mode?: { Replicated?: { Replicas?: number } } };
      };
      const tasks = (await docker.listTasks({
        filters: JSON.stringify({ service: [name], 'desired-state': ['running'] }),
      })) as Array<{ Status?: { State?: string } }>;
      return {
        spec: inspected.Spec.Mode?.Replicated?.Replicas ?? -1,
        running: tasks.filter((task) => task.Status?.State === 'running').length,
      };
    },
    async submit(source) {
      const response = await fetch(`${webappUrl}/api/v1/submissions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ language: 'python', source, limits: { wall_time: '20s' } }),
      });
      const body = (await response.json()) as { id?: string };
      if ((response.status !== 201 && response.status !== 202) || !body.id) {
        throw new Error(`submission answered ${response.status}: ${JSON.stringify(body)}`);
      }
      return body.id;
    },
    async remove() {
      redis.disconnect();
      await db.end().catch(() => undefined);
      await removeStackAndVolumes(stack);
    },
  };
  try {
    await platform.converge();
    // The first submission proves the whole path, and leaves the executor's languages in Redis.
    await firstSubmission(webappUrl, 'a first submission to run');
  } catch (error) {
    await platform.remove().catch(() => undefined);
    throw error;
  }
  return platform;
}

/** The stored claims of these submissions, oldest start first. */
export async function claims(
  db: pg.Pool,
  ids: readonly string[],
): Promise<
  {
    id: string;
    attempts: number;
    executor: string;
    state: string;
    created_at: Date;
    started_at: Date | null;
  }[]
> {
  const { rows } = await db.query<{
    id: string;
    attempts: number;
    executor: string;
    state: string;
    created_at: Date;
    started_at: Date | null;
  }>(
    'SELECT id, attempts, executor, state, created_at, started_at FROM submissions WHERE id = ANY($1) ORDER BY started_at',
    [ids],
  );
  return rows;
}

/**
 * The controller's autoscaler wired to a test stack as the daemon wires it: queue checks on the
 * stack's Redis, retirement through it, replicas written to the Swarm, the executors' count of
 * interrupted runs on the registry. Close both when done.
 */
export function autoscalerFor(
  stack: AutoscaleStack,
  registry: Registry = new Registry(),
  queue: QueueSource = new QueueSource(stack.redis, 'remcode'),
): { autoscaler: Autoscaler; queue: QueueSource } {
  const metrics = createAutoscaleMetrics(registry);
  registerInterruptedRuns(registry, () => queue.interruptedRuns());
  const autoscaler = new Autoscaler({
    logger: silentLogger,
    metrics,
    target: (name, fullName) => new SwarmScaleTarget(client, name, fullName),
    queue,
    retirer: new Retirer({
      redis: stack.redis,
      prefix: 'remcode',
      logger: silentLogger,
      metrics,
      executors: () => queue.executors(),
    }),
    parking: new PoolParking(stack.redis, 'remcode'),
    prometheus: new PrometheusSource(),
    prometheusUrl: undefined,
  });
  void autoscaler.setDesired(stack.desired);
  return { autoscaler, queue };
}
