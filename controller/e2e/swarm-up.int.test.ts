/**
 * End to end: `npm run swarm:up` brings the whole platform up from manifests/remcode.yaml, a
 * submission runs through the edge's published port on 127.0.0.1, a hand-made change is put back, the
 * webapp and the executor are logged in to Postgres as their own roles (the webapp's without DDL) and
 * each program to Redis as its own user, the executors' metrics answer Prometheus on the monitoring
 * network and refuse the webapp, the manifest's executor autoscaling follows a burst up and back down
 * with no Redis command refused, the migrations run once as a job that alone mounts the Postgres
 * owner's secret, and
 * `npm run swarm:down` removes it all. Builds every image (minutes on a fresh machine);
 * REMCODE_E2E_SWARM=0 skips it while iterating on other parts.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyAccepted } from '../../test/support/load.js';
import { docker, inspectService, waitFor } from '../../test/support/swarm.js';
import { formatIssue, loadDesired } from '../desired/load.js';

const run = promisify(execFile);

/** The running container of a service on this node (the stack publishes neither Postgres nor the controller). */
async function containerOf(service: string): Promise<string> {
  const [found] = await docker.listContainers({
    filters: { label: [`com.docker.swarm.service.name=${service}`], status: ['running'] },
  });
  if (!found) throw new Error(`no running container of ${service}`);
  return found.Id;
}

/** GET on the controller's own port, from inside its container. */
async function controller(path: string): Promise<string> {
  const script = `fetch('http://127.0.0.1:9102${path}').then((r) => r.text()).then((t) => process.stdout.write(t))`;
  const { stdout } = await run(
    'docker',
    ['exec', await containerOf('remcode-controller'), 'node', '-e', script],
    {
      maxBuffer: 1 << 24,
    },
  );
  return stdout;
}

/** One row per line, columns separated by `|`, from the stack's Postgres as its own superuser. */
async function sql(query: string): Promise<string[][]> {
  const container = await containerOf('remcode_postgres');
  const { stdout } = await run('docker', [
    'exec',
    '-u',
    'postgres',
    container,
    'psql',
    '-d',
    'remcode',
    '-tAc',
    query,
  ]);
  return stdout
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('|'));
}

/** redis-cli in the stack's Redis task as the default user, its password read from the secret there. */
async function redisCli(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', [
    'exec',
    await containerOf('remcode_redis'),
    'sh',
    '-c',
    'REDISCLI_AUTH=$(cat "$REDIS_PASSWORD_FILE") exec redis-cli "$@"',
    'redis-cli',
    ...args,
  ]);
  return stdout;
}

/** The addresses of a service's running containers on one of the stack's networks. */
async function addresses(service: string, network = 'remcode_backend'): Promise<string[]> {
  const found = await docker.listContainers({
    filters: { label: [`com.docker.swarm.service.name=${service}`], status: ['running'] },
  });
  return found.flatMap((container) => {
    const address = container.NetworkSettings?.Networks?.[network]?.IPAddress;
    return address ? [address] : [];
  });
}

/**
 * A GET from inside a container of `service` with Node's fetch: the status (followed by "with executor
 * metrics" when the body is an executor's), or the error's code (`ECONNREFUSED`), or the abort's name
 * when nothing answered within `abortMs`.
 */
async function fetchFrom(service: string, url: string, abortMs = 10_000): Promise<string> {
  const script = `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(${abortMs}) }).then(
    async (r) => {
      const metrics = (await r.text()).includes('remcode_executor_slots') ? ' with executor metrics' : '';
      process.stdout.write('status ' + r.status + metrics);
    },
    (e) => process.stdout.write('error ' + (e.cause?.code ?? e.name)),
  )`;
  const { stdout } = await run('docker', ['exec', await containerOf(service), 'node', '-e', script]);
  return stdout;
}

/** BusyBox's wget in the Prometheus task (its image has no Node): the body, or a thrown error. */
async function fromPrometheus(url: string): Promise<string> {
  const { stdout } = await run(
    'docker',
    ['exec', await containerOf('remcode_prometheus'), 'wget', '-q', '-O', '-', url],
    { maxBuffer: 1 << 24 },
  );
  return stdout;
}

/** A Python submission through the edge, waited for. */
async function submitAndWait(source: string): Promise<Response> {
  return fetch(`${base}/api/v1/submissions?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ language: 'python', source }),
  });
}

async function executorReplicas(): Promise<{ spec: number; running: number }> {
  const spec = (await inspectService('remcode_executor')).Spec as {
    Mode: { Replicated: { Replicas: number } };
  };
  const tasks = (await docker.listTasks({
    filters: { service: ['remcode_executor'], 'desired-state': ['running'] },
  })) as { Status?: { State?: string } }[];
  const running = tasks.filter((task) => task.Status?.State === 'running');
  return { spec: spec.Mode.Replicated.Replicas, running: running.length };
}

/** A sample of the controller's metrics whose labels include these (the registry adds `program`). */
function sample(metrics: string, name: string, labels: Record<string, string>): number | undefined {
  const line = metrics
    .split('\n')
    .find(
      (l) =>
        l.startsWith(`${name}{`) &&
        Object.entries(labels).every(([key, value]) => l.includes(`${key}="${value}"`)),
    );
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}
const repo = fileURLToPath(new URL('../../', import.meta.url));
const base = 'http://127.0.0.1:8080';
const enabled = process.env.REMCODE_E2E_SWARM !== '0';

describe.runIf(enabled)('swarm:up end to end', () => {
  afterAll(async () => {
    await run('npm', ['run', '-s', 'swarm:down', '--', '--volumes'], { cwd: repo });
    const left = (await docker.listServices()).filter((s) => s.Spec?.Name?.startsWith('remcode_'));
    if (left.length > 0)
      throw new Error(`swarm:down left services: ${left.map((s) => s.Spec?.Name).join(', ')}`);
  }, 300_000);

  it('brings the platform up from the manifest and runs a submission through the edge', async () => {
    const started = Date.now();
    await run('npm', ['run', '-s', 'swarm:up'], { cwd: repo, maxBuffer: 1 << 26, timeout: 1_500_000 });
    const response = await waitFor(
      'a finished submission',
      async () => {
        const answer = await submitAndWait('print(6 * 7)');
        if (answer.status !== 200) return undefined;
        return (await answer.json()) as { state: string; verdict: string; stdout: string };
      },
      300_000,
    );
    console.log(`swarm:up to first finished submission: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(response).toMatchObject({ state: 'finished', stdout: '42\n' });

    // Drift: scale the edge by hand (the webapp's and the executor's counts are the autoscaler's); the
    // controller puts it back within one resync interval. The extra edge task cannot be placed (one per
    // node), so the running one is never disturbed.
    const current = await inspectService('remcode_edge');
    const drifted = Date.now();
    await docker.getService('remcode_edge').update({
      _query: { version: current.Version.Index },
      _body: { ...current.Spec, Mode: { Replicated: { Replicas: 2 } } },
    });
    await waitFor('the controller to restore replicas', async () => {
      const spec = (await inspectService('remcode_edge')).Spec as {
        Mode: { Replicated: { Replicas: number } };
      };
      return spec.Mode.Replicated.Replicas === 1;
    });
    console.log(`drift corrected after ${((Date.now() - drifted) / 1000).toFixed(1)} s`);
  }, 1_800_000);

  it('the webapp logs in to Postgres as remcode_webapp and the executor as remcode_executor, each program to Redis as its own user', async () => {
    // The executors wait for the migrate job, so none should have started before its role had a
    // password; any that failed say so here.
    const tasks = (await docker.listTasks({ filters: { service: ['remcode_executor'] } })) as {
      Status?: { State?: string; Err?: string };
    }[];
    console.log(
      `executor tasks that failed before one came up: ${tasks.filter((t) => t.Status?.State === 'failed').length}`,
    );
    const executors = await addresses('remcode_executor');
    const webapps = await addresses('remcode_webapp');
    expect(executors.length).toBeGreaterThan(0);
    expect(webapps.length).toBeGreaterThan(0);

    // Each Redis connection names the ACL user it logged in as; the programs keep theirs open.
    const clients = (await redisCli('CLIENT', 'LIST')).split('\n').flatMap((line) => {
      const address = / addr=(\S+):\d+ /.exec(line)?.[1];
      const user = / user=(\S+)/.exec(line)?.[1];
      return address && user ? [{ address, user }] : [];
    });
    const usersFrom = (from: string[]) =>
      [...new Set(clients.filter((c) => from.includes(c.address)).map((c) => c.user))].sort();
    expect(usersFrom(executors)).toEqual(['executor']);
    expect(usersFrom(webapps)).toEqual(['webapp']);

    // The pools close idle connections after 10 s: each look follows a run of its own, which both the
    // webapp (storing the submission, reading the result) and an executor (claim, result) take part in.
    const rolesOf = async (from: string[]) => {
      const rows = await sql(
        `SELECT DISTINCT usename FROM pg_stat_activity WHERE host(client_addr) IN (${from.map((a) => `'${a}'`).join(',')})`,
      );
      return rows.map((row) => row[0]);
    };
    const roles = await waitFor('Postgres sessions of the webapp and the executor', async () => {
      if ((await submitAndWait('print(1)')).status !== 200) return undefined;
      const found = { webapp: await rolesOf(webapps), executor: await rolesOf(executors) };
      return found.webapp.length > 0 && found.executor.length > 0 ? found : undefined;
    });
    expect(roles).toEqual({ webapp: ['remcode_webapp'], executor: ['remcode_executor'] });
    // Migrations are the owner's, in the migrate job; the webapp's own role has no DDL.
    // SET SESSION AUTHORIZATION checks privileges as that role would have them logged in.
    const refused = await sql(
      'SET SESSION AUTHORIZATION remcode_webapp; CREATE TABLE remcode_webapp_ddl (a int)',
    ).then(
      () => 'created',
      (error: unknown) => String((error as { stderr?: string }).stderr ?? error),
    );
    expect(refused).toContain('permission denied for schema public');
    expect(await sql("SELECT 1 FROM pg_tables WHERE tablename = 'remcode_webapp_ddl'")).toEqual([]);
  }, 180_000);

  it("runs the migrations once as a job that alone holds the owner's secret, and never again while nothing changes", async () => {
    const jobOf = async () => {
      const service = (await inspectService('remcode_migrate')) as {
        JobStatus?: { JobIteration?: { Index?: number } };
      };
      const tasks = (await docker.listTasks({ filters: { service: ['remcode_migrate'] } })) as {
        Status?: { State?: string; ContainerStatus?: { ExitCode?: number } };
      }[];
      return {
        iteration: service.JobStatus?.JobIteration?.Index ?? 0,
        states: tasks.map((t) => `${t.Status?.State}:${t.Status?.ContainerStatus?.ExitCode ?? ''}`).sort(),
      };
    };
    const before = await jobOf();
    expect(before.states).toContain('complete:0');
    // A task that failed (Postgres not yet taking logins) was started again; none is left running.
    const failed = before.states.filter((state) => state.startsWith('failed')).length;
    console.log(`migrate job: ${failed} failed task(s) before it completed`);
    expect(before.states.filter((state) => !/^(complete|failed):/.test(state))).toEqual([]);
    type Status = {
      controller: { lastPassAt: string };
      services: {
        name: string;
        conditions: { type: string; status: string; reason: string }[];
        job?: { state: string };
      }[];
    };
    const status = JSON.parse(await controller('/status')) as Status;
    const migrate = status.services.find((service) => service.name === 'migrate');
    expect(migrate?.job?.state).toBe('complete');
    expect(migrate?.conditions).toEqual([expect.objectContaining({ type: 'Ready', status: 'True' })]);

    // Only the job mounts the Postgres owner's secret: not the webapp's spec, not a running webapp task.
    const secretsOf = async (service: string) =>
      (
        (await inspectService(service)).Spec as {
          TaskTemplate: { ContainerSpec: { Secrets?: { SecretName: string }[] } };
        }
      ).TaskTemplate.ContainerSpec.Secrets?.map((secret) => secret.SecretName).sort() ?? [];
    expect(await secretsOf('remcode_webapp')).toEqual([
      'remcode_postgres_webapp_password',
      'remcode_redis_webapp_password',
    ]);
    expect(await secretsOf('remcode_migrate')).toContain('remcode_postgres_password');
    const webapps = await docker.listContainers({
      filters: { label: ['com.docker.swarm.service.name=remcode_webapp'], status: ['running'] },
    });
    expect(webapps.length).toBeGreaterThan(0);
    for (const container of webapps) {
      // The image has Node and no ls.
      const { stdout } = await run('docker', [
        'exec',
        container.Id,
        'node',
        '-e',
        "process.stdout.write(require('node:fs').readdirSync('/run/secrets').join('\\n'))",
      ]);
      expect(stdout.trim().split('\n').sort()).toEqual(['postgres_webapp_password', 'redis_webapp_password']);
    }

    // Passes go on (a resync at least); none runs the completed job again or counts it as drift.
    await waitFor(
      'two more controller passes',
      async () => {
        const now = JSON.parse(await controller('/status')) as Status;
        return Date.parse(now.controller.lastPassAt) - Date.parse(status.controller.lastPassAt) > 30_000;
      },
      180_000,
    );
    expect(await jobOf()).toEqual(before);
    const metrics = await controller('/metrics');
    expect(sample(metrics, 'remcode_controller_drift_corrections_total', { service: 'migrate' })).toBe(
      undefined,
    );
    expect(sample(metrics, 'remcode_controller_job_state', { service: 'migrate', state: 'complete' })).toBe(
      1,
    );
    expect(sample(metrics, 'remcode_controller_job_failed_tasks_total', { service: 'migrate' }) ?? 0).toBe(
      failed,
    );
  }, 300_000);

  it("serves the executors' metrics to Prometheus on the monitoring network, and not to the webapp", async () => {
    const desired = await loadDesired(join(repo, 'manifests/remcode.yaml'));
    if (!desired.ok) throw new Error(desired.issues.map(formatIssue).join('\n'));
    const subnet = desired.desired.networks?.['monitoring']?.subnet;
    const network = await docker.getNetwork('remcode_monitoring').inspect();
    expect((network as { IPAM: { Config: { Subnet: string }[] } }).IPAM.Config[0]?.Subnet).toBe(subnet);

    const monitoring = await addresses('remcode_executor', 'remcode_monitoring');
    const backend = await addresses('remcode_executor');
    expect(monitoring.length).toBeGreaterThan(0);
    expect(monitoring.length).toBe(backend.length);
    // Every running executor is a target on its monitoring address, and answers scrapes. A target
    // Prometheus has not scraped yet reports "unknown": wait for one scrape of each.
    const wanted = monitoring.map((address) => `${address}:9101`).sort();
    const targets = await waitFor(
      'Prometheus to scrape every executor',
      async () => {
        const answer = JSON.parse(
          await fromPrometheus('http://127.0.0.1:9090/api/v1/targets?state=active'),
        ) as {
          data: {
            activeTargets: { labels: { job: string; instance: string }; health: string; lastError: string }[];
          };
        };
        const executors = answer.data.activeTargets.filter((t) => t.labels.job === 'executor');
        const instances = executors.map((t) => t.labels.instance).sort();
        if (JSON.stringify(instances) !== JSON.stringify(wanted)) return undefined;
        return executors.every((t) => t.health !== 'unknown') ? executors : undefined;
      },
      120_000,
    );
    expect(targets.map((t) => [t.labels.instance, t.health, t.lastError])).toEqual(
      wanted.map((instance) => [instance, 'up', '']),
    );
    expect(await fromPrometheus(`http://${monitoring[0]}:9101/metrics`)).toMatch(
      /^remcode_executor_slots\{/m,
    );

    // The webapp shares the backend network with the executors: their port there refuses it. It is
    // not on the monitoring network, so a request to their address there takes the webapp's default
    // route out of the cluster, where no executor answers (what does, if anything, depends on the
    // machine's network: an egress proxy may answer 404).
    expect(await fetchFrom('remcode_webapp', `http://${backend[0]}:9101/metrics`)).toBe('error ECONNREFUSED');
    expect(await fetchFrom('remcode_webapp', `http://${monitoring[0]}:9101/metrics`)).not.toContain(
      'with executor metrics',
    );
    // The executor's own healthcheck still reads 127.0.0.1, and so does a scrape from inside its task.
    expect(await fetchFrom('remcode_executor', 'http://127.0.0.1:9101/healthz')).toBe('status 200');
    expect(await fetchFrom('remcode_executor', 'http://127.0.0.1:9101/metrics')).toBe(
      'status 200 with executor metrics',
    );
  }, 180_000);

  it("runs the executor behind its image's entry point: namespaces of its own and the entry point's filter", async () => {
    // From a process the engine starts in the task (as a healthcheck is): it is in the host's cgroup
    // namespace and the container's PID namespace, which the executor must not share.
    const script = `
      const fs = require('node:fs');
      const ns = (pid, kind) => fs.readlinkSync('/proc/' + pid + '/ns/' + kind);
      const status = (pid) => fs.readFileSync('/proc/' + pid + '/status', 'utf8');
      const field = (pid, name) =>
        status(pid).split('\\n').find((line) => line.startsWith(name + ':'))?.slice(name.length + 1).trim();
      const argv = (pid) => fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0').filter(Boolean);
      const executor = fs.readdirSync('/proc').find((pid) => /^[0-9]+$/.test(pid) && field(pid, 'PPid') === '1');
      process.stdout.write(JSON.stringify({
        init: argv(1)[0],
        executor: argv(executor).join(' '),
        pidInItsNamespace: field(executor, 'NSpid').split(/\\s+/).pop(),
        ownCgroupNamespace: ns(executor, 'cgroup') !== ns('self', 'cgroup'),
        ownPidNamespace: ns(executor, 'pid') !== ns('self', 'pid'),
        ownMountNamespace: ns(executor, 'mnt') !== ns('self', 'mnt'),
        filtersBeyondEngines: Number(field(executor, 'Seccomp_filters')) - Number(field('self', 'Seccomp_filters')),
      }));`;
    const { stdout } = await run('docker', [
      'exec',
      await containerOf('remcode_executor'),
      'node',
      '-e',
      script,
    ]);
    expect(JSON.parse(stdout)).toEqual({
      init: '/app/executor/sandbox/native/build/remcode-init',
      executor: 'node dist/executor/main.js',
      pidInItsNamespace: '1',
      ownCgroupNamespace: true,
      ownPidNamespace: true,
      ownMountNamespace: true,
      // One filter more than the engine gives every process: the entry point's, which refuses a
      // superblock remount, setns and user namespaces whether or not the engine could apply the
      // manifest's profile (Docker 20.10, the engine here, cannot).
      filtersBeyondEngines: 1,
    });
  });

  it('scales the executor by the manifest: a burst drives replicas up, each run finishes once, none is interrupted', async () => {
    // The controller reads the queue and the stack's Prometheus from inside the stack: the executor's
    // backlog check and the webapp's request-rate check both answer.
    const checkStatus = (
      status: {
        autoscale: { service: string; evaluations: { checks: { name: string; status: string }[] }[] }[];
      },
      service: string,
      check: string,
    ) =>
      status.autoscale
        .find((a) => a.service === service)
        ?.evaluations[0]?.checks.find((c) => c.name === check)?.status;
    await waitFor(
      'the controller to read the queue and Prometheus',
      async () => {
        const status = JSON.parse(await controller('/status')) as Parameters<typeof checkStatus>[0];
        return (
          checkStatus(status, 'executor', 'backlog') === 'ok' &&
          checkStatus(status, 'webapp', 'requests') === 'ok'
        );
      },
      180_000,
    );
    expect((await executorReplicas()).spec).toBe(1);
    // The operator's view from the manager's shell, without docker exec: over the controller's socket.
    const { stdout: printed } = await run('npx', ['tsx', 'controller/main.ts', 'status'], {
      env: { ...process.env, CONTROLLER_SOCKET: '', LOG_LEVEL: 'warn' },
    });
    expect(printed).toMatch(/^controller running/);
    expect(printed).toContain('autoscale executor: min 1, max 4');
    expect(printed).toMatch(/check backlog \(queue\): ok/);
    expect(printed).toContain('autoscale webapp: min 2, max 4');
    expect(printed).toMatch(/check requests \(prometheus\): ok/);
    // The request rate is far under the target: the webapp stays at its minimum of two.
    const webapp = (await inspectService('remcode_webapp')).Spec as {
      Mode: { Replicated: { Replicas: number } };
    };
    expect(webapp.Mode.Replicated.Replicas).toBe(2);

    const burst = 20;
    const started = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < burst; i++) {
      const answer = await fetch(`${base}/api/v1/submissions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ language: 'python', source: `import time\ntime.sleep(3)\nprint(${i})\n` }),
      });
      expect(answer.status).toBe(201);
      ids.push(((await answer.json()) as { id: string }).id);
    }
    await waitFor(
      'the autoscaler to ask for more executors',
      async () => (await executorReplicas()).spec > 1,
    );
    const decided = Date.now();
    // A new executor probes every language of its catalogue before it reports healthy, and Swarm counts
    // it running only then: on a loaded machine that takes minutes.
    await waitFor(
      'more executors running',
      async () => (await executorReplicas()).running > 1,
      240_000,
    ).catch(async (error: unknown) => {
      const { stdout } = await run('docker', ['service', 'ps', '--no-trunc', 'remcode_executor']);
      throw new Error(`${String(error)}\n${stdout}`, { cause: error });
    });
    const scaled = Date.now();

    const finished = await verifyAccepted(base, new Map(ids.map((id, i) => [id, `${i}\n`])), 300_000);
    expect(finished, 'every submission finished with its own output').toEqual({ wrong: [], unfinished: [] });
    const list = ids.map((id) => `'${id}'`).join(',');
    const [row] = await sql(
      `SELECT count(*) FILTER (WHERE attempts <> 1), count(DISTINCT executor) FROM submissions WHERE id IN (${list})`,
    );
    expect(row?.[0], 'runs claimed more than once').toBe('0');
    const executors = Number(row?.[1]);

    // Idle again: after the scale-down window the autoscaler retires executors and returns to its minimum.
    await waitFor(
      'executor replicas back at 1',
      async () => {
        const replicas = await executorReplicas();
        return replicas.spec === 1 && replicas.running === 1;
      },
      240_000,
    );
    // Every command and key the webapp and the executors used, through a burst, scaling and
    // retirements, was within their ACL users' rules: Redis logs each refusal.
    expect((await redisCli('ACL', 'LOG')).trim()).toBe('');
    const metrics = await controller('/metrics');
    expect(sample(metrics, 'remcode_runs_interrupted_total', { cause: 'retire' })).toBe(0);
    expect(sample(metrics, 'remcode_runs_interrupted_total', { cause: 'stop' })).toBe(0);
    const retired = sample(metrics, 'remcode_autoscale_retirements_total', {
      service: 'executor',
      outcome: 'exited',
    });
    expect(retired).toBeGreaterThan(0);
    console.log(
      `burst of ${burst}: more executors asked for after ${((decided - started) / 1000).toFixed(1)} s, ` +
        `running after ${((scaled - started) / 1000).toFixed(1)} s, ` +
        `${executors} executors served it, back at 1 after ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
        `${retired} retired, 0 interrupted`,
    );
  }, 600_000);
});
