/**
 * The whole platform on the local Swarm, from the real manifest (manifests/remcode.yaml) with the
 * real images, under a unique stack name and its own published port, so that a test can scale, roll
 * and kill its parts while a load runs through the edge. The controller's reconciler runs in the test
 * process and applies every change the test makes to the desired state.
 */
import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { loadDesired } from '../../controller/desired/load.js';
import type { DesiredFile } from '../../controller/desired/schema.js';
import { pendingChanges } from '../../controller/plan/planner.js';
import { createControllerMetrics } from '../../controller/reconcile/metrics.js';
import { Reconciler } from '../../controller/reconcile/reconciler.js';
import { offMonitoring } from './shipped-manifest.js';
import { client, docker, removeStack, silentLogger, uniqueStack, waitFor } from './swarm.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const manifestFile = fileURLToPath(new URL('../../manifests/remcode.yaml', import.meta.url));

export const PLATFORM_IMAGES = ['redis', 'postgres', 'edge', 'webapp', 'executor'] as const;

/** Builds the images that are missing (all of them on a fresh machine: minutes), keeps the rest. */
export async function ensureImages(images: readonly string[] = PLATFORM_IMAGES): Promise<void> {
  const missing: string[] = [];
  for (const image of images) {
    try {
      await docker.getImage(`remcode-${image}:local`).inspect();
    } catch {
      missing.push(image);
    }
  }
  if (missing.length === 0) return;
  await run('bash', ['manifests/images/build.sh', ...missing], {
    cwd: repo,
    maxBuffer: 1 << 26,
    timeout: 1_500_000,
  });
}

/** Removes a test stack and its volumes (the Postgres data), failing loudly on leftovers. */
export async function removeStackAndVolumes(stack: string): Promise<void> {
  await removeStack(stack);
  for (const volume of (await docker.listVolumes()).Volumes ?? []) {
    if (volume.Name.startsWith(`${stack}_`)) await docker.getVolume(volume.Name).remove();
  }
}

/** Waits until a Python submission runs through `base`: the whole path works, languages are known. */
export async function firstSubmission(base: string, what: string): Promise<void> {
  await waitFor(
    what,
    async () => {
      const response = await fetch(`${base}/api/v1/submissions?wait=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ language: 'python', source: 'print(6 * 7)' }),
      });
      const body = (await response.json()) as { stdout?: string };
      return response.status === 200 && body.stdout === '42\n';
    },
    240_000,
  );
}

export interface PlatformStack {
  readonly stack: string;
  readonly base: string;
  /** The desired state the reconciler applies; change it, then call `apply()`. */
  readonly desired: DesiredFile;
  /** Applies `desired` until nothing is pending, as the controller does. */
  apply(): Promise<void>;
  /** Running task containers of one service of the stack (on this node). */
  containers(service: string): Promise<Docker.ContainerInfo[]>;
  /** Runs argv in a container (as `user`, default the image's) and returns its stdout; fails on a non-zero exit. */
  exec(containerId: string, argv: readonly string[], user?: string): Promise<string>;
  /** Waits until the service's update (or rollout of a new spec) has completed. */
  settled(service: string, timeoutMs?: number): Promise<void>;
  remove(): Promise<void>;
}

export interface PlatformOptions {
  /** Published port of the edge on 127.0.0.1. */
  readonly port: number;
  readonly webappReplicas: number;
}

export async function startPlatform(options: PlatformOptions): Promise<PlatformStack> {
  const loaded = await loadDesired(manifestFile);
  if (!loaded.ok) throw new Error(`manifests/remcode.yaml is invalid: ${JSON.stringify(loaded.issues)}`);
  const stack = uniqueStack();
  const desired = structuredClone(loaded.desired) as DesiredFile & { stack: string };
  desired.stack = stack;
  // The request path only: monitoring services are not under test here (and Grafana's image cannot
  // be pulled where no registry is reachable).
  const services = desired.services as Record<string, DesiredFile['services'][string]>;
  for (const name of Object.keys(services)) {
    // The migrate job runs the webapp's image; the webapp and the executors wait for it.
    if (!(PLATFORM_IMAGES as readonly string[]).includes(name) && name !== 'migrate') delete services[name];
  }
  // Prometheus is not here, and the monitoring network's fixed subnet may be held by another stack.
  delete (desired.networks as Record<string, unknown> | undefined)?.['monitoring'];
  for (const service of Object.values(services)) {
    offMonitoring(service);
    // The test sets replica counts itself; no autoscaler runs in the test process.
    const owned = service as { autoscale?: unknown; replicas?: number };
    if (owned.autoscale !== undefined) {
      delete owned.autoscale;
      owned.replicas = 1;
    }
  }
  const edge = services.edge;
  const webapp = services.webapp;
  if (!edge?.ports?.[0] || !webapp) throw new Error('the manifest has no edge with a port, or no webapp');
  edge.ports[0].published = options.port;
  for (const [name, service] of Object.entries(services)) {
    if (name !== 'edge' && service.ports) throw new Error(`${name} publishes a port; only the edge should`);
  }
  (webapp as { replicas?: number }).replicas = options.webappReplicas;

  const reconciler = new Reconciler({
    client,
    logger: silentLogger,
    metrics: createControllerMetrics(),
    dependencyWaitMs: 180_000,
  });
  const base = `http://127.0.0.1:${options.port}`;
  const containers = async (service: string): Promise<Docker.ContainerInfo[]> =>
    docker.listContainers({
      filters: JSON.stringify({
        label: [`com.docker.swarm.service.name=${stack}_${service}`],
        status: ['running'],
      }),
    });
  const platform: PlatformStack = {
    stack,
    base,
    desired,
    async apply() {
      for (let pass = 0; pass < 20; pass++) {
        await reconciler.reconcile(desired, pass + 1, manifestFile);
        if (pendingChanges((await reconciler.plan(desired)).plan) === 0) return;
      }
      throw new Error(`stack ${stack} did not converge in 20 passes`);
    },
    containers,
    async exec(containerId, argv, user) {
      const exec = await docker.getContainer(containerId).exec({
        Cmd: [...argv],
        ...(user !== undefined ? { User: user } : {}),
        AttachStdout: true,
        AttachStderr: true,
      });
      const stream = await exec.start({ hijack: true, stdin: false });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const out = new PassThrough().on('data', (chunk: Buffer) => stdout.push(chunk));
      const err = new PassThrough().on('data', (chunk: Buffer) => stderr.push(chunk));
      await new Promise<void>((resolve, reject) => {
        docker.modem.demuxStream(stream, out, err);
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      const { ExitCode } = await exec.inspect();
      if (ExitCode !== 0)
        throw new Error(`${argv.join(' ')} exited ${ExitCode}: ${Buffer.concat(stderr).toString()}`);
      return Buffer.concat(stdout).toString();
    },
    async settled(service, timeoutMs = 240_000) {
      const name = `${stack}_${service}`;
      let seen = '';
      try {
        await waitFor(
          `${name} to settle`,
          async () => {
            const inspected = (await docker.getService(name).inspect()) as {
              Spec: {
                Mode?: { Replicated?: { Replicas?: number } };
                TaskTemplate?: { ContainerSpec?: { Image?: string } };
              };
              UpdateStatus?: { State?: string; Message?: string };
            };
            const image = inspected.Spec.TaskTemplate?.ContainerSpec?.Image;
            const update = inspected.UpdateStatus;
            const want = inspected.Spec.Mode?.Replicated?.Replicas ?? 1;
            const tasks = (await docker.listTasks({
              filters: JSON.stringify({ service: [name], 'desired-state': ['running'] }),
            })) as Array<{
              Status?: { State?: string; Err?: string };
              Spec?: { ContainerSpec?: { Image?: string } };
            }>;
            seen = `update ${update?.State ?? 'none'} (${update?.Message ?? ''}); want ${want}; tasks ${tasks
              .map((t) => `${t.Status?.State ?? '?'}${t.Status?.Err ? `: ${t.Status.Err}` : ''}`)
              .join(', ')}`;
            if (update?.State !== undefined && update.State !== 'completed') return false;
            // An update that has not started yet still reports the last one as completed: every task
            // must also run the spec's current image.
            return (
              tasks.length === want &&
              tasks.every((t) => t.Status?.State === 'running' && t.Spec?.ContainerSpec?.Image === image)
            );
          },
          timeoutMs,
        );
      } catch (error) {
        throw new Error(`${name} did not settle: ${seen}`, { cause: error });
      }
    },
    remove: () => removeStackAndVolumes(stack),
  };
  try {
    await platform.apply();
    await firstSubmission(base, 'a submission to run through the edge');
    await platform.settled('webapp');
  } catch (error) {
    await platform.remove().catch(() => undefined);
    throw error;
  }
  return platform;
}
