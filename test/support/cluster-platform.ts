/**
 * RemCode itself on the one-machine cluster (test/support/cluster.ts): Redis, Postgres and the edge
 * pinned to the manager; webapp tasks behind the edge and executors from a Python-only image
 * (scripts/cluster-images.sh) spread over every node and rebalanced by the controller. The manager
 * publishes the edge (and its metrics), Redis and Postgres on the host's 127.0.0.1 (test-only ports),
 * so that a test submits through the edge as a client does, watches which webapp tasks the edge
 * sends requests to, reads the events and the stored rows, and the controller on the host retires
 * executors through Redis as it does inside a stack.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { redisKeys } from '../../common/keys.js';
import type { DesiredFile, ServiceDef } from '../../controller/desired/schema.js';
import { docker } from './swarm.js';
import { freePort } from './ports.js';
import { shippedManifest, writeStackSecrets } from './shipped-manifest.js';
import { removeLater, tempDir, waitFor } from './swarm.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));

export const CLUSTER_EXECUTOR_IMAGE = process.env.REMCODE_CLUSTER_EXECUTOR_IMAGE ?? 'remcode-executor:python';

/** The images the platform needs on every node; builds the missing ones (minutes on a fresh machine). */
export async function clusterPlatformImages(): Promise<string[]> {
  const images = [
    'remcode-redis:local',
    'remcode-postgres:local',
    'remcode-webapp:local',
    'remcode-edge:local',
    CLUSTER_EXECUTOR_IMAGE,
  ];
  const missing = await Promise.all(
    images.map((image) =>
      docker
        .getImage(image)
        .inspect()
        .then(() => false)
        .catch(() => true),
    ),
  );
  if (missing.some(Boolean)) {
    await run('bash', [join(repo, 'scripts/cluster-images.sh')], {
      env: { ...process.env, REMCODE_CLUSTER_EXECUTOR_TAG: CLUSTER_EXECUTOR_IMAGE },
      maxBuffer: 1 << 26,
      timeout: 1_800_000,
    });
  }
  return images;
}

export interface ClusterPlatformOptions {
  /** Executor replicas. */
  readonly executors: number;
  /** Webapp replicas, on any node, behind the edge. Default 3: one per node once spread. */
  readonly webapps?: number;
  /** Slots per executor. Default 1. */
  readonly slots?: number;
  /** The rebalancer's pace for the executors. Default 1s. */
  readonly interval?: string;
}

export interface EdgeWatch {
  /** Epoch ms of the first sample with a webapp task out of rotation; undefined while none was. */
  noticed(): number | undefined;
  stop(): void;
}

export interface ClusterPlatform {
  readonly stack: string;
  /** The desired-state file the controller applies. */
  readonly file: string;
  /** Ports the cluster's manager must publish on the host (pass to `TestCluster.up`). */
  readonly publish: readonly number[];
  /** The controller's environment: Redis of the stack, so it retires executors as in production. */
  readonly controllerEnv: NodeJS.ProcessEnv;
  /** The edge: every request of a test goes through it, as a client's does. */
  readonly webappUrl: string;
  /** Webapp tasks the edge holds as up (ready and answering its checks). */
  edgeServersUp(): Promise<number>;
  /**
   * From now until `stop`, when the edge first held fewer webapp tasks up than the platform runs: it
   * checks each task every second and sends no new request to one that failed two checks.
   */
  watchEdge(): EdgeWatch;
  /** Connected by `connect()`. */
  redis: Redis | undefined;
  db: pg.Pool | undefined;
  /** Connects to Redis and Postgres and waits until a Python submission runs through the webapp. */
  connect(): Promise<void>;
  /** Result events in the submission's stream: one per stored result, so a second one is a duplicate. */
  resultEvents(id: string): Promise<number>;
  /** Runs executors cut short because they were leaving, by cause (`retire`, `stop`). */
  interrupted(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

const PREFIX = 'remcode';

export async function planClusterPlatform(options: ClusterPlatformOptions): Promise<ClusterPlatform> {
  const manifest = await shippedManifest();
  const { pick } = manifest;
  const stack = `rcp${randomBytes(3).toString('hex')}`;
  const [edgePort, edgeMetricsPort, redisPort, postgresPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const dir = await tempDir();
  removeLater(dir);
  const { secrets, redisPassword, postgresPassword } = await writeStackSecrets(manifest.desired, dir);

  const onManager = { constraints: ['node.role == manager'] };
  const redis = pick('redis');
  redis.ports = [{ target: 6379, published: redisPort, mode: 'host' }];
  redis.placement = onManager;
  const postgres = pick('postgres');
  postgres.ports = [{ target: 5432, published: postgresPort, mode: 'host' }];
  postgres.placement = onManager;
  // The webapp as shipped (its drain delay included), on any node: only the edge reaches it.
  const webapp = pick('webapp');
  delete webapp.autoscale;
  const webapps = options.webapps ?? 3;
  webapp.replicas = webapps;
  webapp.rebalance = { max_skew: 1, interval: options.interval ?? '1s', health_timeout: '180s' };
  const edge = pick('edge');
  edge.ports = [
    { target: 8080, published: edgePort, mode: 'host' },
    { target: 8405, published: edgeMetricsPort, mode: 'host' },
  ];
  const executor = pick('executor');
  delete executor.autoscale;
  executor.replicas = options.executors;
  executor.image = CLUSTER_EXECUTOR_IMAGE;
  // The image has Python only: a service that names its languages must name no other.
  if ('languages' in executor) (executor as { languages?: string[] }).languages = ['python'];
  executor.environment = {
    ...executor.environment,
    EXECUTOR_SLOTS: String(options.slots ?? 1),
    EXECUTOR_STANDBY_SLOTS: '0',
  };
  executor.resources = { limits: { cpus: 1, memory: '512MiB' }, reservations: { memory: '64MiB' } };
  executor.rebalance = { max_skew: 1, interval: options.interval ?? '1s', health_timeout: '180s' };
  // Three engines share two cores here: the shipped periods would let Swarm kill a slow task as
  // unhealthy.
  const services: Record<string, ServiceDef> = { redis, postgres, webapp, edge, executor };
  // The webapp and the executors log in to Postgres as the database owner and prepare the database
  // themselves at start: the test is about moving tasks, not about database roles (the stack's own
  // logins are proven by the swarm:up test).
  for (const service of [webapp, executor]) {
    service.depends_on = ['redis', 'postgres'];
    // Their own Redis users, as the manifest has them, and the owner's password besides.
    service.secrets = [...new Set([...(service.secrets ?? []), 'postgres_password'])];
    service.environment = {
      ...service.environment,
      DATABASE_URL: 'postgres://postgres@postgres:5432/remcode',
      DATABASE_PASSWORD_FILE: '/run/secrets/postgres_password',
    };
  }
  for (const service of Object.values(services)) {
    if (service.healthcheck)
      service.healthcheck = {
        ...service.healthcheck,
        interval: '5s',
        timeout: '5s',
        retries: 60,
        start_period: '120s',
      };
  }
  const desired: DesiredFile = {
    version: 1,
    stack,
    networks: { backend: {} },
    secrets,
    volumes: { pgdata: {}, redisdata: {} },
    services,
  };
  // JSON is YAML; the file sits beside the secrets it names by relative path.
  const file = join(dir, 'remcode.yaml');
  await writeFile(file, `${JSON.stringify(desired, null, 2)}\n`);

  const webappUrl = `http://127.0.0.1:${edgePort}`;
  const keys = redisKeys(PREFIX);
  const platform: ClusterPlatform = {
    stack,
    file,
    publish: [edgePort, edgeMetricsPort, redisPort, postgresPort],
    controllerEnv: {
      REMCODE_AUTOSCALE_REDIS: 'on',
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      REDIS_PASSWORD_FILE: join(dir, 'redis_password'),
      REMCODE_PREFIX: PREFIX,
    },
    webappUrl,
    async edgeServersUp() {
      const text = await (await fetch(`http://127.0.0.1:${edgeMetricsPort}/metrics`)).text();
      const match = /^haproxy_backend_active_servers\{proxy="webapp"\} (\d+)/m.exec(text);
      if (!match?.[1]) throw new Error('the edge reports no webapp backend');
      return Number.parseInt(match[1], 10);
    },
    watchEdge() {
      let noticedAt: number | undefined;
      let watching = true;
      void (async () => {
        while (watching && noticedAt === undefined) {
          const up = await platform.edgeServersUp().catch(() => undefined);
          if (up !== undefined && up < webapps) noticedAt = Date.now();
          await sleep(100);
        }
      })();
      return {
        noticed: () => noticedAt,
        stop: () => {
          watching = false;
        },
      };
    },
    redis: undefined,
    db: undefined,
    async connect() {
      const client = new Redis({
        host: '127.0.0.1',
        port: redisPort,
        password: redisPassword,
        maxRetriesPerRequest: 2,
      });
      client.on('error', () => undefined);
      platform.redis = client;
      const pool = new pg.Pool({
        connectionString: `postgres://postgres:${postgresPassword}@127.0.0.1:${postgresPort}/remcode`,
        max: 2,
      });
      pool.on('error', () => undefined);
      platform.db = pool;
      await waitFor(
        'a first Python submission to run on the cluster',
        async () => {
          const response = await fetch(`${webappUrl}/api/v1/submissions?wait=true`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ language: 'python', source: 'print(6 * 7)' }),
          }).catch(() => undefined);
          if (!response) return false;
          const body = (await response.json().catch(() => ({}))) as { stdout?: string };
          return response.status === 200 && body.stdout === '42\n';
        },
        400_000,
      );
    },
    async resultEvents(id) {
      if (!platform.redis) throw new Error('not connected');
      const entries = await platform.redis.xrange(keys.events(id), '-', '+');
      return entries.filter(([, fields]) => {
        const json = fields[fields.indexOf('e') + 1];
        return json !== undefined && (JSON.parse(json) as { type?: string }).type === 'result';
      }).length;
    },
    async interrupted() {
      if (!platform.redis) throw new Error('not connected');
      const all = await platform.redis.hgetall(keys.runsInterrupted);
      return Object.fromEntries(Object.entries(all).map(([cause, n]) => [cause, Number.parseInt(n, 10)]));
    },
    async close() {
      platform.redis?.disconnect();
      await platform.db?.end().catch(() => undefined);
    },
  };
  return platform;
}
