/**
 * Helpers for the controller's integration tests against the real single-node Swarm that the test
 * setup starts: a tiny base image, a unique stack per test and a cleanup that fails loudly when
 * anything of the stack survives.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { pino } from 'pino';
import { SwarmClient } from '../../controller/swarm/docker.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));

export const docker = new Docker();
export const client = new SwarmClient(docker);
export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

let baseImage: Promise<string> | undefined;

/** The debootstrap base image (built once per machine, then found by its content-keyed tag). */
export function testImage(): Promise<string> {
  baseImage ??= run('bash', [join(repo, 'manifests/images/base.sh')], { maxBuffer: 1 << 24 }).then(
    ({ stdout }) => stdout.trim().split('\n').pop()!,
  );
  return baseImage;
}

export function uniqueStack(): string {
  return `rct${randomBytes(4).toString('hex')}`;
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'remcode-controller-'));
}

export async function writeDesired(dir: string, yaml: string): Promise<string> {
  const file = join(dir, 'remcode.yaml');
  await writeFile(file, yaml);
  return file;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`, { cause: last });
    await sleep(250);
  }
}

export async function inspectService(
  name: string,
): Promise<Docker.Service & { Version: { Index: number } } & Record<string, unknown>> {
  return (await docker.getService(name).inspect()) as Docker.Service & {
    Version: { Index: number };
  } & Record<string, unknown>;
}

export async function runningTaskIds(service: string): Promise<string[]> {
  const tasks = (await docker.listTasks({
    filters: JSON.stringify({ service: [service], 'desired-state': ['running'] }),
  })) as Array<{ ID: string; Status?: { State?: string } }>;
  return tasks
    .filter((task) => task.Status?.State === 'running')
    .map((task) => task.ID)
    .sort();
}

/** Removes every service, network and secret of `stack`, then fails if any is left. */
export async function removeStack(stack: string): Promise<void> {
  const prefix = `${stack}_`;
  const services = (await docker.listServices()).filter((s) => s.Spec?.Name?.startsWith(prefix));
  // The data stores go last: an executor or webapp that loses Redis while it drains waits out its whole
  // stop grace period, which is a minute for the manifest's executor.
  const stores = new Set([`${prefix}redis`, `${prefix}postgres`]);
  const tasksStopped = (names: (name: string) => boolean) =>
    waitFor(
      `tasks of ${stack} to stop`,
      async () => {
        const containers = await docker.listContainers({
          all: true,
          filters: JSON.stringify({ label: [`com.docker.swarm.service.name`] }),
        });
        return containers.every((c) => !names(c.Labels['com.docker.swarm.service.name'] ?? ''));
      },
      60_000,
    );
  const first = services.filter((s) => !stores.has(s.Spec?.Name ?? ''));
  await Promise.all(first.map((s) => docker.getService(s.ID).remove()));
  // A Docker 20.10 engine keeps the exited containers of a removed job service for good; Swarm
  // removes every other task's container itself.
  const exited = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: ['com.docker.swarm.service.name'], status: ['exited'] }),
  });
  for (const container of exited) {
    const name = container.Labels['com.docker.swarm.service.name'] ?? '';
    if (first.some((s) => s.Spec?.Name === name)) await docker.getContainer(container.Id).remove();
  }
  await tasksStopped((name) => name.startsWith(prefix) && !stores.has(name));
  const last = services.filter((s) => stores.has(s.Spec?.Name ?? ''));
  await Promise.all(last.map((s) => docker.getService(s.ID).remove()));
  // Networks stay in use until the service's tasks are gone.
  await tasksStopped((name) => name.startsWith(prefix));
  for (const secret of (await docker.listSecrets()).filter((s) => s.Spec?.Name?.startsWith(prefix))) {
    await docker.getSecret(secret.ID).remove();
  }
  for (const network of (await docker.listNetworks()).filter((n) => n.Name.startsWith(prefix))) {
    await waitFor(`network ${network.Name} to be removable`, async () => {
      await docker.getNetwork(network.Id).remove();
      return true;
    });
  }
  const left = [
    ...(await docker.listServices()).filter((s) => s.Spec?.Name?.startsWith(prefix)).map((s) => s.Spec?.Name),
    ...(await docker.listSecrets()).filter((s) => s.Spec?.Name?.startsWith(prefix)).map((s) => s.Spec?.Name),
    ...(await docker.listNetworks()).filter((n) => n.Name.startsWith(prefix)).map((n) => n.Name),
  ];
  if (left.length > 0) throw new Error(`cleanup of stack ${stack} left: ${left.join(', ')}`);
  if (dirs.length > 0)
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

const dirs: string[] = [];
export function removeLater(dir: string): void {
  dirs.push(dir);
}
