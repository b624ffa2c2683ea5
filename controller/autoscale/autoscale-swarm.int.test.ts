import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  client,
  docker,
  removeLater,
  removeStack,
  silentLogger,
  tempDir,
  uniqueStack,
  waitFor,
  writeDesired,
} from '../../test/support/swarm.js';
import { loadDesired } from '../desired/load.js';
import type { DesiredFile, ServiceDef } from '../desired/schema.js';
import { pendingChanges } from '../plan/planner.js';
import { createControllerMetrics } from '../reconcile/metrics.js';
import { Reconciler } from '../reconcile/reconciler.js';
import { Autoscaler } from './autoscaler.js';
import { createAutoscaleMetrics, type AutoscaleMetrics } from './metrics.js';
import { PrometheusSource } from './prometheus-source.js';
import { QueueSource } from './queue-source.js';
import { Retirer } from './retire.js';
import { SwarmScaleTarget } from './swarm-target.js';

/**
 * The autoscaler on the real single-node Swarm: Redis, Postgres, the webapp and the executor from the
 * shipped manifest and images, the executor under an autoscale policy, and the controller's reconciler
 * and autoscaler in this process. Redis, Postgres and the webapp publish test-only ports on the host so
 * the test can submit, read the queue and count attempts.
 */
const manifestFile = fileURLToPath(new URL('../../manifests/remcode.yaml', import.meta.url));
const executorImage = process.env.REMCODE_TEST_EXECUTOR_IMAGE ?? 'remcode-executor:local';
const BURST = 18;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const stack = uniqueStack();
const redisPassword = randomBytes(16).toString('hex');
const postgresPassword = randomBytes(16).toString('hex');
let desired: DesiredFile;
let desiredFile: string;
let reconciler: Reconciler;
let redis: Redis;
let db: pg.Pool;
let queue: QueueSource;
let autoscaler: Autoscaler;
let metrics: AutoscaleMetrics;
let registry: Registry;
let webappUrl: string;

async function executorReplicas(): Promise<{ spec: number; running: number }> {
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
}

async function converge(): Promise<void> {
  for (let pass = 1; pass <= 20; pass++) {
    await reconciler.reconcile(desired, pass, desiredFile);
    if (pendingChanges((await reconciler.plan(desired)).plan) === 0) return;
  }
  throw new Error(`stack ${stack} did not converge`);
}

async function submit(source: string): Promise<string> {
  const response = await fetch(`${webappUrl}/api/v1/submissions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ language: 'python', source, limits: { wall_time: '20s' } }),
  });
  const body = (await response.json()) as { id?: string };
  if (response.status !== 201 && response.status !== 202) {
    throw new Error(`submission answered ${response.status}: ${JSON.stringify(body)}`);
  }
  if (!body.id) throw new Error(`no id in ${JSON.stringify(body)}`);
  return body.id;
}

beforeAll(async () => {
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
  const loaded = await loadDesired(manifestFile);
  if (!loaded.ok) throw new Error(`manifests/remcode.yaml is invalid: ${JSON.stringify(loaded.issues)}`);
  const shipped = loaded.desired.services;
  const pick = (name: string): ServiceDef => {
    const service = shipped[name];
    if (!service) throw new Error(`the manifest has no ${name}`);
    return structuredClone(service);
  };
  const [redisPort, postgresPort, webappPort] = [await freePort(), await freePort(), await freePort()];
  const dir = await tempDir();
  removeLater(dir);
  await writeFile(join(dir, 'redis_password'), redisPassword);
  await writeFile(join(dir, 'postgres_password'), postgresPassword);

  const redisService = pick('redis');
  redisService.ports = [{ target: 6379, published: redisPort, mode: 'host' }];
  const postgresService = pick('postgres');
  postgresService.ports = [{ target: 5432, published: postgresPort, mode: 'host' }];
  const webapp = pick('webapp');
  webapp.ports = [{ target: 8080, published: webappPort, mode: 'host' }];
  webapp.replicas = 1;
  const executor = pick('executor');
  delete executor.replicas;
  executor.image = executorImage;
  // Two slots per executor, so three replicas are the most a 2-core machine holds for the burst.
  executor.environment = { ...executor.environment, EXECUTOR_SLOTS: '2', EXECUTOR_STANDBY_SLOTS: '0' };
  executor.resources = { limits: { cpus: 2, memory: '1GiB' }, reservations: { cpus: 0.1, memory: '64MiB' } };
  // A busy test machine can take a minute to start an executor; the shipped 10 s start period would
  // let Swarm kill it as unhealthy first.
  if (executor.healthcheck) executor.healthcheck = { ...executor.healthcheck, start_period: '90s' };
  executor.autoscale = {
    min: 1,
    max: 3,
    interval: '1s',
    scale_up: { max_replicas: 2, period: '5s' },
    scale_down: { stabilization: '10s', period: '1s' },
    checks: { backlog: { queue: {} } },
  };
  desired = {
    version: 1,
    stack,
    networks: { backend: {} },
    secrets: { redis_password: { file: 'redis_password' }, postgres_password: { file: 'postgres_password' } },
    volumes: { pgdata: {} },
    services: { redis: redisService, postgres: postgresService, webapp, executor },
  };
  // The file lives beside the secrets, which it names by relative path.
  desiredFile = await writeDesired(dir, '# written by the test\n');
  reconciler = new Reconciler({
    client,
    logger: silentLogger,
    metrics: createControllerMetrics(),
    dependencyWaitMs: 180_000,
  });
  await converge();

  webappUrl = `http://127.0.0.1:${webappPort}`;
  redis = new Redis({ host: '127.0.0.1', port: redisPort, password: redisPassword, maxRetriesPerRequest: 2 });
  redis.on('error', () => undefined);
  db = new pg.Pool({
    connectionString: `postgres://postgres:${postgresPassword}@127.0.0.1:${postgresPort}/remcode`,
    max: 2,
  });
  db.on('error', () => undefined);
  // The first submission proves the whole path, and leaves the executor's languages in Redis.
  await waitFor(
    'a first submission to run',
    async () => {
      const response = await fetch(`${webappUrl}/api/v1/submissions?wait=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ language: 'python', source: 'print(6 * 7)' }),
      });
      const body = (await response.json()) as { stdout?: string };
      return response.status === 200 && body.stdout === '42\n';
    },
    240_000,
  );

  queue = new QueueSource(redis, 'remcode');
  registry = new Registry();
  metrics = createAutoscaleMetrics(registry);
  autoscaler = new Autoscaler({
    logger: silentLogger,
    metrics,
    target: (s, fullName) => new SwarmScaleTarget(client, s, fullName),
    queue,
    retirer: new Retirer({
      redis,
      prefix: 'remcode',
      logger: silentLogger,
      metrics,
      executors: () => queue.executors(),
    }),
    prometheus: new PrometheusSource(),
    prometheusUrl: undefined,
  });
  autoscaler.setDesired(desired);
}, 420_000);

afterAll(async () => {
  await autoscaler?.close();
  await queue?.close();
  redis?.disconnect();
  await db?.end();
  await removeStack(stack);
  for (const volume of (await docker.listVolumes()).Volumes ?? []) {
    if (volume.Name.startsWith(`${stack}_`)) await docker.getVolume(volume.Name).remove();
  }
}, 180_000);

describe('autoscaling on Swarm', () => {
  it('a burst drives executor replicas up; once drained they return to the minimum; every run finishes once', async () => {
    expect((await executorReplicas()).spec).toBe(1);
    const started = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < BURST; i++) ids.push(await submit(`import time\ntime.sleep(5)\nprint(${i})\n`));

    await waitFor(
      'the autoscaler to ask for 3 executors',
      async () => (await executorReplicas()).spec === 3,
      60_000,
    );
    const decided = Date.now();
    // A reconcile pass during the burst must not put the file's count back.
    await converge();
    expect((await executorReplicas()).spec).toBe(3);

    const results = new Map<string, string>();
    await waitFor(
      'every submission to finish',
      async () => {
        for (const id of ids) {
          if (results.has(id)) continue;
          const response = await fetch(`${webappUrl}/api/v1/submissions/${id}`);
          const body = (await response.json()) as { state?: string; stdout?: string | null };
          if (body.state === 'finished') results.set(id, body.stdout ?? '');
        }
        return results.size === ids.length;
      },
      240_000,
    );
    ids.forEach((id, i) => expect(results.get(id), `submission ${i}`).toBe(`${i}\n`));

    // The window is 10 s; the idle executors retire and the count returns to 1.
    await waitFor(
      'executor replicas back at 1',
      async () => {
        const replicas = await executorReplicas();
        return replicas.spec === 1 && replicas.running === 1;
      },
      180_000,
    );

    // Stored once each, and no run cut short: a run handed back and redelivered claims its row again.
    const { rows } = await db.query<{ id: string; attempts: number; executor: string; started_at: Date }>(
      'SELECT id, attempts, executor, started_at FROM submissions WHERE id = ANY($1) ORDER BY started_at',
      [ids],
    );
    expect(rows).toHaveLength(BURST);
    const interrupted = rows.filter((row) => row.attempts !== 1).length;
    expect(interrupted).toBe(0);
    // New replicas served part of the burst: runs by an executor other than the one that was there.
    const first = rows[0]?.executor;
    const helped = rows.filter((row) => row.executor !== first);
    expect(helped.length).toBeGreaterThan(0);
    const serving = helped[0]?.started_at.getTime() ?? Number.NaN;
    const text = await registry.metrics();
    const retired = Number(
      /remcode_autoscale_retirements_total\{service="executor",outcome="exited"\} (\d+)/.exec(text)?.[1] ?? 0,
    );
    expect(retired).toBeGreaterThan(0);
    const evaluations = autoscaler.status()[0]?.evaluations ?? [];
    console.log(
      `burst of ${BURST}: decision after ${decided - started} ms, a new replica serving after ` +
        `${serving - started} ms, ${new Set(rows.map((row) => row.executor)).size} executors served, ` +
        `${retired} retired, interrupted ${interrupted}; last: ${evaluations[0]?.reason ?? '-'}`,
    );
  }, 600_000);
});
