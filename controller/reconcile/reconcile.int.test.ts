/**
 * The controller against a real single-node Swarm (started by scripts/setup.d/50-docker.sh). Each
 * test owns a unique stack of tiny `sleep` services and removes it, failing loudly on leftovers.
 */
import { execFile, spawn } from 'node:child_process';
import { rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControllerDaemon } from '../daemon.js';
import { loadDesired } from '../desired/load.js';
import type { DesiredFile } from '../desired/schema.js';
import { pendingChanges } from '../plan/planner.js';
import { SwarmClient } from '../swarm/docker.js';
import {
  client,
  docker,
  inspectService,
  removeLater,
  removeStack,
  runningTaskIds,
  silentLogger,
  tempDir,
  testImage,
  uniqueStack,
  waitFor,
  writeDesired,
} from '../../test/support/swarm.js';
import { createControllerMetrics, type ControllerMetrics } from './metrics.js';
import { Reconciler } from './reconciler.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

let image = '';
const stacks: string[] = [];
// Unique per run: another checkout may run these tests against the same engine at the same time.
const otherTag = `other-${uniqueStack()}`;
const otherImage = `remcode-controller-test:${otherTag}`;

beforeAll(async () => {
  image = await testImage();
  await docker.getImage(image).tag({ repo: 'remcode-controller-test', tag: otherTag });
}, 180_000);

afterAll(async () => {
  await docker.getImage(otherImage).remove();
});

afterEach(async () => {
  for (const stack of stacks.splice(0)) await removeStack(stack);
});

interface Setup {
  stack: string;
  file: string;
  dir: string;
  desired: DesiredFile;
}

function manifest(stack: string, body: string, header = ''): string {
  return `version: 1\nstack: ${stack}\n${header}${body.replaceAll('IMAGE', image)}`;
}

async function setup(body: string, header = ''): Promise<Setup> {
  const stack = uniqueStack();
  stacks.push(stack);
  const dir = await tempDir();
  removeLater(dir);
  const file = await writeDesired(dir, manifest(stack, body, header));
  return { stack, file, dir, desired: await load(file) };
}

async function load(file: string): Promise<DesiredFile> {
  const loaded = await loadDesired(file);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
  return loaded.desired;
}

function reconciler(options: { client?: SwarmClient } = {}): Reconciler {
  return new Reconciler({
    client: options.client ?? client,
    logger: silentLogger,
    metrics: createControllerMetrics(),
    dependencyWaitMs: 60_000,
  });
}

/** Applies until nothing is pending, as `controller apply` does. */
async function converge(r: Reconciler, desired: DesiredFile, file: string): Promise<void> {
  for (let pass = 0; pass < 10; pass++) {
    await r.reconcile(desired, 1, file);
    if (pendingChanges((await r.plan(desired)).plan) === 0) return;
  }
  throw new Error('did not converge in 10 passes');
}

const SLEEPER = `    image: IMAGE
    command: [sleep, infinity]
    stop_grace_period: 1s
`;

const TWO_SERVICES = `networks:
  net: {}
secrets:
  token: { generate: true }
services:
  db:
${SLEEPER}    networks: [net]
    secrets: [token]
  web:
${SLEEPER}    environment: { MODE: one }
    replicas: 2
    networks: [net]
    depends_on: [db]
`;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(tsx, ['controller/main.ts', ...args], { cwd: repo });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A running controller daemon for `file`, with its own metrics registry. */
async function startDaemon(file: string): Promise<{ daemon: ControllerDaemon; metrics: ControllerMetrics }> {
  const metrics = createControllerMetrics();
  const reconciler = new Reconciler({ client, logger: silentLogger, metrics });
  const daemon = new ControllerDaemon({ file, reconciler, logger: silentLogger, metrics, docker });
  await daemon.start();
  return { daemon, metrics };
}

describe('controller against a real Swarm', () => {
  it('plans creates, then applies them, and a second apply changes nothing', async () => {
    const { stack, file } = await setup(TWO_SERVICES);
    const before = await cli(['plan', '-f', file]);
    expect(before.code).toBe(2);
    expect(before.stdout).toContain(`+ create network ${stack}_net`);
    expect(before.stdout).toContain(`+ create service ${stack}_web`);

    const apply = await cli(['apply', '-f', file]);
    expect(apply.code, apply.stderr).toBe(0);
    const versions = await Promise.all(
      ['db', 'web'].map(async (s) => (await inspectService(`${stack}_${s}`)).Version.Index),
    );
    const secret = (await docker.listSecrets()).find((s) => s.Spec?.Name === `${stack}_token`);

    const again = await cli(['apply', '-f', file]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No changes.');
    expect(
      await Promise.all(
        ['db', 'web'].map(async (s) => (await inspectService(`${stack}_${s}`)).Version.Index),
      ),
    ).toEqual(versions);
    expect(
      (await docker.listSecrets()).filter((s) => s.Spec?.Name === `${stack}_token`).map((s) => s.ID),
    ).toEqual([secret?.ID]);
    const after = await cli(['plan', '-f', file]);
    expect(after.code).toBe(0);
  });

  it('plans a field-level update and a removal after the file changes', async () => {
    const { stack, file, desired } = await setup(TWO_SERVICES);
    await converge(reconciler(), desired, file);
    await writeFile(file, manifest(stack, TWO_SERVICES.replace('MODE: one', 'MODE: two')));
    const update = await cli(['plan', '-f', file]);
    expect(update.code).toBe(2);
    expect(update.stdout).toContain(`~ update service ${stack}_web`);
    expect(update.stdout).toContain('environment: ["MODE=one"] -> ["MODE=two"]');

    await writeFile(file, manifest(stack, TWO_SERVICES.replace(/  web:[\s\S]*$/, '')));
    const remove = await cli(['plan', '-f', file]);
    expect(remove.code).toBe(2);
    expect(remove.stdout).toContain(`- remove service ${stack}_web`);
  });

  it('puts back image, environment and replicas changed by hand within a resync, replicas without restarts', async () => {
    const { stack, file } = await setup(TWO_SERVICES, 'resync_interval: 1s\n');
    const { daemon, metrics } = await startDaemon(file);
    try {
      await waitFor('web to run 2 tasks', async () => (await runningTaskIds(`${stack}_web`)).length === 2);
      const tasks = await runningTaskIds(`${stack}_web`);

      await docker.getService(`${stack}_web`).update({
        _query: { version: (await inspectService(`${stack}_web`)).Version.Index },
        _body: { ...(await inspectService(`${stack}_web`)).Spec, Mode: { Replicated: { Replicas: 1 } } },
      });
      await waitFor('replicas put back', async () => {
        const spec = (await inspectService(`${stack}_web`)).Spec as {
          Mode: { Replicated: { Replicas: number } };
        };
        return spec.Mode.Replicated.Replicas === 2;
      });
      await waitFor('2 tasks again', async () => (await runningTaskIds(`${stack}_web`)).length === 2);
      const survivors = (await runningTaskIds(`${stack}_web`)).filter((id) => tasks.includes(id));
      expect(survivors.length).toBe(1);

      const spec = (await inspectService(`${stack}_web`)).Spec as Record<
        string,
        Record<string, Record<string, unknown>>
      >;
      const current = await inspectService(`${stack}_web`);
      const edited = structuredClone(spec);
      edited.TaskTemplate!.ContainerSpec!.Env = ['MODE=hacked'];
      edited.TaskTemplate!.ContainerSpec!.Image = otherImage;
      await docker.getService(`${stack}_web`).update({
        _query: { version: current.Version.Index },
        _body: edited,
      });
      await waitFor('image and env put back', async () => {
        const now = (await inspectService(`${stack}_web`)).Spec as Record<
          string,
          Record<string, Record<string, unknown>>
        >;
        const c = now.TaskTemplate!.ContainerSpec!;
        return c.Image === image && JSON.stringify(c.Env) === '["MODE=one"]';
      });
      const drift = await metrics.registry.getSingleMetricAsString(
        'remcode_controller_drift_corrections_total',
      );
      expect(drift).toMatch(/field="replicas"/);
      expect(drift).toMatch(/field="environment"/);
      expect(drift).toMatch(/field="image"/);
    } finally {
      await daemon.close();
    }
  });

  it('never touches an unmanaged service, even one with the same name', async () => {
    const { stack, file, desired } = await setup(`services:\n  web:\n${SLEEPER}  extra:\n${SLEEPER}`);
    // A person created both by hand: web clashes with the file, extra is simply not the controller's.
    for (const name of ['web', 'stray']) {
      await docker.createService({
        Name: `${stack}_${name}`,
        TaskTemplate: { ContainerSpec: { Image: image, Args: ['sleep', 'infinity'] } },
        Mode: { Replicated: { Replicas: 0 } },
      } as Docker.CreateServiceOptions);
    }
    const before = await Promise.all(
      ['web', 'stray'].map(async (n) => (await inspectService(`${stack}_${n}`)).Version.Index),
    );
    const r = reconciler();
    const result = await r.reconcile(desired, 1, file);
    expect(result.blocked).toBe(1);
    expect(
      await Promise.all(
        ['web', 'stray'].map(async (n) => (await inspectService(`${stack}_${n}`)).Version.Index),
      ),
    ).toEqual(before);
    const web = r.status().services.find((s) => s.name === 'web');
    expect(web?.conditions.find((c) => c.type === 'Stalled')).toMatchObject({
      status: 'True',
      reason: 'Blocked',
      observedGeneration: 1,
    });
    expect(web?.conditions.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'Blocked',
    });
    await inspectService(`${stack}_extra`);
  });

  it('retries a version-guarded update that Swarm refused as out of sequence', async () => {
    const { stack, file, desired } = await setup(
      `services:\n  web:\n${SLEEPER}    environment: { A: "1" }\n`,
    );
    await converge(reconciler(), desired, file);
    // Between the controller's read and its write, someone else updates the service once.
    class RacingClient extends SwarmClient {
      raced = 0;
      override async updateService(
        id: string,
        version: number,
        spec: Record<string, unknown>,
      ): Promise<void> {
        if (this.raced === 0) {
          this.raced++;
          const now = await inspectService(id);
          await docker.getService(id).update({
            _query: { version: now.Version.Index },
            _body: { ...now.Spec, Labels: { ...(now.Spec as { Labels: object }).Labels, touched: 'yes' } },
          });
        }
        return super.updateService(id, version, spec);
      }
    }
    const racing = new RacingClient(docker);
    const metrics = createControllerMetrics();
    const r = new Reconciler({ client: racing, logger: silentLogger, metrics });
    const changed = await load(
      await writeDesired(
        file.replace(/\/[^/]+$/, ''),
        manifest(stack, `services:\n  web:\n${SLEEPER}    environment: { A: "2" }\n`),
      ),
    );
    const result = await r.reconcile(changed, 2, file);
    expect(result.failed).toBe(0);
    expect(racing.raced).toBe(1);
    expect(
      await metrics.registry.getSingleMetricAsString('remcode_controller_update_conflicts_total'),
    ).toMatch(/ 1$/m);
    const spec = (await inspectService(`${stack}_web`)).Spec as Record<
      string,
      Record<string, Record<string, unknown>>
    >;
    expect(spec.TaskTemplate!.ContainerSpec!.Env).toEqual(['A=2']);
  });

  it('rejects an invalid file with its line and path and keeps the running stack as it was', async () => {
    const { stack, file } = await setup(TWO_SERVICES, 'resync_interval: 1s\n');
    const { daemon } = await startDaemon(file);
    try {
      await waitFor('web to run', async () => (await runningTaskIds(`${stack}_web`)).length === 2);
      const version = (await inspectService(`${stack}_web`)).Version.Index;
      const invalid = manifest(
        stack,
        TWO_SERVICES.replace('replicas: 2', 'replicas: many'),
        'resync_interval: 1s\n',
      );
      // Replaced by rename, as editors do, so the daemon never reads a half-written file.
      await writeFile(`${file}.new`, invalid);
      await rename(`${file}.new`, file);
      const line = invalid.split('\n').findIndex((text) => text.includes('replicas: many')) + 1;
      daemon.trigger('sighup', true);
      const issues = await waitFor('the file error', () => {
        const found = daemon.status().fileErrors;
        return Promise.resolve(found.length > 0 ? found : undefined);
      });
      expect(issues[0]).toMatchObject({ file, line, path: 'services.web.replicas' });
      // Passes continue on the last good state: a hand-made change is still put back.
      await docker.getService(`${stack}_web`).update({
        _query: { version },
        _body: { ...(await inspectService(`${stack}_web`)).Spec, Mode: { Replicated: { Replicas: 1 } } },
      });
      await waitFor('replicas put back from the last good state', async () => {
        const spec = (await inspectService(`${stack}_web`)).Spec as {
          Mode: { Replicated: { Replicas: number } };
        };
        return spec.Mode.Replicated.Replicas === 2;
      });
      expect(daemon.status().generation).toBe(1);
    } finally {
      await daemon.close();
    }
  });

  it('removes a service that left the file when pruning is on, and keeps it when off', async () => {
    const { stack, file, desired } = await setup(TWO_SERVICES);
    await converge(reconciler(), desired, file);
    const withoutWeb = TWO_SERVICES.replace(/  web:[\s\S]*$/, '');

    const kept = await load(
      await writeDesired(file.replace(/\/[^/]+$/, ''), manifest(stack, withoutWeb, 'prune: false\n')),
    );
    await reconciler().reconcile(kept, 2, file);
    await inspectService(`${stack}_web`);

    const pruned = await load(await writeDesired(file.replace(/\/[^/]+$/, ''), manifest(stack, withoutWeb)));
    await reconciler().reconcile(pruned, 3, file);
    await expect(inspectService(`${stack}_web`)).rejects.toMatchObject({ statusCode: 404 });
    await inspectService(`${stack}_db`);
  });

  it('creates a dependent service only after its dependency runs healthy', async () => {
    const { stack, file, desired } = await setup(`services:
  web:
${SLEEPER}    depends_on: [db]
  db:
    image: IMAGE
    command: [bash, -c, "sleep 3 && touch /tmp/ready && exec sleep infinity"]
    stop_grace_period: 1s
    healthcheck: { test: [CMD, test, -f, /tmp/ready], interval: 1s, timeout: 1s, retries: 30 }
`);
    await converge(reconciler(), desired, file);
    const tasks = (await docker.listTasks({
      filters: JSON.stringify({ service: [`${stack}_db`] }),
    })) as Array<{
      Status: { State: string; Timestamp: string };
    }>;
    const dbRunningAt = Date.parse(tasks.find((t) => t.Status.State === 'running')!.Status.Timestamp);
    const webCreatedAt = Date.parse(String((await inspectService(`${stack}_web`)).CreatedAt));
    expect(webCreatedAt).toBeGreaterThanOrEqual(dbRunningAt);
  });

  it('resumes correctly after the controller is killed mid-apply', async () => {
    const { stack, file, desired } = await setup(`secrets:
  token: { generate: true }
services:
  web:
${SLEEPER}    depends_on: [db]
    secrets: [token]
  db:
    image: IMAGE
    command: [bash, -c, "sleep 4 && touch /tmp/ready && exec sleep infinity"]
    stop_grace_period: 1s
    secrets: [token]
    healthcheck: { test: [CMD, test, -f, /tmp/ready], interval: 1s, timeout: 1s, retries: 30 }
`);
    // One process (node with tsx as a loader), so SIGKILL really kills the controller and no child of it
    // keeps applying behind the test's back.
    const child = spawn(process.execPath, ['--import', 'tsx', 'controller/main.ts', 'apply', '-f', file], {
      cwd: repo,
      stdio: 'ignore',
    });
    // Killed while it waits for db to become healthy, after the secret and db exist but before web.
    await waitFor('db to be created', async () =>
      (await client.readActual(stack)).services.some((s) => s.name === `${stack}_db`),
    );
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const secretBefore = (await client.readActual(stack)).secrets.map((s) => s.id);
    expect((await client.readActual(stack)).services.map((s) => s.name)).toEqual([`${stack}_db`]);

    await converge(reconciler(), desired, file);
    const actual = await client.readActual(stack);
    expect(actual.services.map((s) => s.name).sort()).toEqual([`${stack}_db`, `${stack}_web`]);
    expect(actual.secrets.map((s) => s.id)).toEqual(secretBefore);
  });
});

describe('a job service against a real Swarm', () => {
  const JOB = `services:
  migrate:
    image: IMAGE
    mode: job
    command: [bash, -c, 'exit "$CODE"']
    environment: { CODE: 'EXIT', RUN: one }
    restart_policy: { delay: 1s, max_attempts: 1 }
    stop_grace_period: 1s
  web:
${SLEEPER}    depends_on: [migrate]
`;

  const jobOf = async (stack: string) => {
    const service = (await inspectService(`${stack}_migrate`)) as {
      Version: { Index: number };
      JobStatus?: { JobIteration?: { Index?: number } };
    };
    const tasks = await docker.listTasks({ filters: { service: [`${stack}_migrate`] } });
    return {
      version: service.Version.Index,
      iteration: service.JobStatus?.JobIteration?.Index ?? 0,
      tasks: tasks.length,
    };
  };

  it('runs once, starts what depends on it after it, is left alone while complete, and runs again when its spec changes', async () => {
    const { stack, file, desired } = await setup(JOB.replace('EXIT', '0'));
    const r = reconciler();
    await converge(r, desired, file);
    const migrate = () => r.status().services.find((service) => service.name === 'migrate');
    expect(migrate()?.job?.state).toBe('complete');
    expect(migrate()?.conditions).toEqual([expect.objectContaining({ type: 'Ready', status: 'True' })]);
    // web was created only once the job's task had completed.
    const [done] = (await docker.listTasks({ filters: { service: [`${stack}_migrate`] } })) as {
      Status: { State: string; Timestamp: string };
    }[];
    expect(done?.Status.State).toBe('complete');
    const webCreatedAt = Date.parse(String((await inspectService(`${stack}_web`)).CreatedAt));
    expect(webCreatedAt).toBeGreaterThanOrEqual(Date.parse(done?.Status.Timestamp ?? ''));

    // More passes over a completed job: no write, no new run, no new task.
    const before = await jobOf(stack);
    for (let pass = 0; pass < 3; pass++) {
      const result = await r.reconcile(desired, 1, file);
      expect(result.applied).toBe(0);
    }
    expect(await jobOf(stack)).toEqual(before);

    // A changed spec runs it again.
    await writeFile(file, manifest(stack, JOB.replace('EXIT', '0').replace('RUN: one', 'RUN: two')));
    const changed = await load(file);
    await converge(r, changed, file);
    const after = await jobOf(stack);
    expect(after.iteration).toBeGreaterThan(before.iteration);
    await waitFor('the second run to complete', async () => {
      await r.reconcile(changed, 2, file);
      return migrate()?.job?.state === 'complete' && migrate()?.job?.iteration === after.iteration;
    });
    expect((await jobOf(stack)).tasks).toBe(before.tasks + 1);
  });

  it('pruned from the file, leaves no containers behind on this engine', async () => {
    const { stack, file, desired } = await setup(JOB.replace('EXIT', '0'));
    const r = reconciler();
    await converge(r, desired, file);
    const label = { label: [`com.docker.swarm.service.name=${stack}_migrate`] };
    const left = () => docker.listContainers({ all: true, filters: JSON.stringify(label) });
    // The run's container is there, exited, while the service lives.
    expect((await left()).map((container) => container.State)).toEqual(['exited']);

    const withoutJob = JOB.replace('EXIT', '0')
      .replace(/ {2}migrate:[\s\S]*?(?= {2}web:)/, '')
      .replace('    depends_on: [migrate]\n', '');
    const pruned = await load(await writeDesired(file.replace(/\/[^/]+$/, ''), manifest(stack, withoutJob)));
    await converge(r, pruned, file);
    expect((await client.readActual(stack)).services.map((service) => service.name)).toEqual([
      `${stack}_web`,
    ]);
    expect(await left()).toEqual([]);
  });

  it('reports a failed run with its exit code once its restart policy is spent, and holds back what depends on it', async () => {
    const { stack, file, desired } = await setup(JOB.replace('EXIT', '3'));
    const r = new Reconciler({ client, logger: silentLogger, metrics: createControllerMetrics() });
    const status = (name: string) => r.status().services.find((service) => service.name === name);
    await waitFor(
      'the job to fail',
      async () => {
        await r.reconcile(desired, 1, file);
        return status('migrate')?.job?.state === 'failed';
      },
      120_000,
    );
    // The first task and the one restart max_attempts allows.
    expect(status('migrate')?.job?.failures).toHaveLength(2);
    expect(status('migrate')?.conditions).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'False', reason: 'JobFailed' }),
      expect.objectContaining({
        type: 'Stalled',
        status: 'True',
        reason: 'JobFailed',
        message: expect.stringContaining('exit code 3') as unknown,
      }),
    ]);
    expect(status('web')?.conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'False' })]),
    );
    expect((await client.readActual(stack)).services.map((service) => service.name)).toEqual([
      `${stack}_migrate`,
    ]);
    // Further passes do not start it again: a failed run waits for a new spec.
    const before = await jobOf(stack);
    await r.reconcile(desired, 1, file);
    expect(await jobOf(stack)).toEqual(before);
  });
});
