/**
 * The shipped images (manifests/images/) against their size targets, and the runtime images built on
 * an empty root started for real: Redis and Postgres take their password from a secret file and pass
 * their own healthchecks, Redis creates the programs' users from theirs, the webapp image started as
 * the manifest starts it migrates that Postgres, gives the executor's role its password and answers
 * logged in to Redis as its own user, the edge and
 * Prometheus pass theirs, the controller bundle plans the manifest against this machine's Docker.
 * Builds the images that are missing (minutes on a fresh machine).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDesired } from '../../controller/desired/load.js';
import { ensureImages } from '../support/platform-stack.js';
import { waitFor } from '../support/swarm.js';

const run = promisify(execFile);
const manifests = fileURLToPath(new URL('../../manifests/', import.meta.url));

/**
 * Largest size of each image, in megabytes as `docker image ls` counts them (10^6 bytes): the issue's
 * targets for the webapp, controller, Redis and Postgres; the edge and Prometheus are held near what
 * they measure (25 MB and 94 MB), so that a change that brings a package manager back shows.
 */
const TARGET_MB = {
  webapp: 120,
  controller: 120,
  redis: 40,
  postgres: 250,
  edge: 40,
  prometheus: 120,
} as const;
type Sized = keyof typeof TARGET_MB;

const id = randomBytes(4).toString('hex');
const network = `remcode-images-${id}`;
const names = {
  redis: `remcode-images-redis-${id}`,
  postgres: `remcode-images-pg-${id}`,
  webapp: `remcode-images-web-${id}`,
  edge: `remcode-images-edge-${id}`,
  prometheus: `remcode-images-prom-${id}`,
};
let secrets = '';

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 1 << 24, timeout: 120_000 });
  return stdout;
}

/** Exit code and output of a command in a running container (non-zero is a result, not an error). */
async function execIn(
  container: string,
  argv: string[],
  user?: string,
): Promise<{ code: number; out: string }> {
  try {
    const out = await docker('exec', ...(user ? ['-u', user] : []), container, ...argv);
    return { code: 0, out };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      out: `${failed.stdout ?? ''}${failed.stderr ?? ''}`,
    };
  }
}

/** The healthcheck the manifest gives a service, run inside its container as Docker would. */
async function manifestHealthcheck(service: string): Promise<string[]> {
  const loaded = await loadDesired(join(manifests, 'remcode.yaml'));
  if (!loaded.ok) throw new Error('manifests/remcode.yaml is invalid');
  const test = (loaded.desired.services[service] as { healthcheck?: { test?: string[] } }).healthcheck?.test;
  if (!test || test[0] !== 'CMD') throw new Error(`the manifest gives ${service} no CMD healthcheck`);
  return test.slice(1);
}

describe('images', () => {
  beforeAll(async () => {
    await ensureImages(Object.keys(TARGET_MB));
    secrets = await mkdtemp(join(tmpdir(), 'remcode-images-'));
    // Docker secrets are world-readable files owned by root inside the container; so are these.
    await writeFile(join(secrets, 'redis_password'), `redis-${id}\n`);
    await writeFile(join(secrets, 'redis_webapp_password'), `redis-webapp-${id}\n`);
    await writeFile(join(secrets, 'redis_executor_password'), `redis-executor-${id}\n`);
    await writeFile(join(secrets, 'postgres_password'), `postgres-${id}\n`);
    await writeFile(join(secrets, 'postgres_webapp_password'), `postgres-webapp-${id}\n`);
    await writeFile(join(secrets, 'postgres_executor_password'), `postgres-executor-${id}\n`);
    await chmod(secrets, 0o755);
    await docker('network', 'create', network);
  }, 1_800_000);

  afterAll(async () => {
    const left: string[] = [];
    for (const name of Object.values(names)) {
      await docker('rm', '-f', '-v', name).catch(() => undefined);
      if ((await docker('ps', '-aq', '--filter', `name=^${name}$`)).trim() !== '') left.push(name);
    }
    await docker('network', 'rm', network).catch(() => undefined);
    if (secrets) await rm(secrets, { recursive: true, force: true });
    if ((await docker('network', 'ls', '-q', '--filter', `name=^${network}$`)).trim() !== '')
      left.push(network);
    if (left.length > 0) throw new Error(`left behind: ${left.join(', ')}`);
  }, 120_000);

  it.each(Object.keys(TARGET_MB) as Sized[])('remcode-%s:local is within its size target', async (image) => {
    const bytes = Number(
      (await docker('image', 'inspect', '--format', '{{.Size}}', `remcode-${image}:local`)).trim(),
    );
    console.log(`remcode-${image}:local ${(bytes / 1e6).toFixed(1)} MB (target ${TARGET_MB[image]} MB)`);
    expect(bytes / 1e6).toBeLessThanOrEqual(TARGET_MB[image]);
  });

  it.each(['webapp', 'controller'])('remcode-%s:local has no shell and no node_modules', async (image) => {
    await expect(
      docker('run', '--rm', '--entrypoint', '/bin/sh', `remcode-${image}:local`, '-c', 'true'),
    ).rejects.toThrow(/no such file or directory/);
    const probe = await docker(
      'run',
      '--rm',
      '--entrypoint',
      '/usr/bin/node',
      `remcode-${image}:local`,
      '-e',
      "process.stdout.write(String(require('fs').existsSync('/app/node_modules')))",
    );
    expect(probe).toBe('false');
  });

  it('redis starts with the secret passwords and passes its healthcheck; a wrong password is refused', async () => {
    await docker(
      'run',
      '-d',
      '--name',
      names.redis,
      '--network',
      network,
      '--network-alias',
      'redis',
      '-v',
      `${secrets}:/run/secrets:ro`,
      '-e',
      'REDIS_PASSWORD_FILE=/run/secrets/redis_password',
      '-e',
      'REDIS_WEBAPP_PASSWORD_FILE=/run/secrets/redis_webapp_password',
      '-e',
      'REDIS_EXECUTOR_PASSWORD_FILE=/run/secrets/redis_executor_password',
      'remcode-redis:local',
    );
    const health = await manifestHealthcheck('redis');
    await waitFor(
      'the redis healthcheck',
      async () => (await execIn(names.redis, health)).code === 0,
      60_000,
    );
    const wrong = await execIn(names.redis, ['redis-cli', '--no-auth-warning', '-a', 'wrong', 'ping']);
    expect(wrong.out).toMatch(/WRONGPASS|NOAUTH/);
    // Each program's user with its own password, and only under the install's prefix.
    const as = (user: string, ...command: string[]) =>
      execIn(names.redis, [
        'redis-cli',
        '--no-auth-warning',
        '--user',
        user,
        '--pass',
        `redis-${user}-${id}`,
        ...command,
      ]);
    for (const user of ['webapp', 'executor']) {
      expect((await as(user, 'SET', 'remcode:probe', '1')).out).toBe('OK\n');
      expect((await as(user, 'GET', 'other:probe')).out).toMatch(/NOPERM/);
      expect((await as(user, 'CONFIG', 'GET', 'requirepass')).out).toMatch(/NOPERM/);
    }
    // The server runs as the redis user, not root.
    const user = await execIn(names.redis, ['sh', '-c', 'cat /proc/1/status | grep ^Uid:']);
    expect(user.out).not.toMatch(/^Uid:\s+0\s/);
  });

  it('postgres creates its cluster from the secret, passes its healthcheck and takes scram logins in UTF-8', async () => {
    await docker(
      'run',
      '-d',
      '--name',
      names.postgres,
      '--network',
      network,
      '--network-alias',
      'postgres',
      '-v',
      `${join(secrets, 'postgres_password')}:/run/secrets/postgres_password:ro`,
      '-e',
      'POSTGRES_PASSWORD_FILE=/run/secrets/postgres_password',
      '-e',
      'POSTGRES_DB=remcode',
      'remcode-postgres:local',
    );
    const health = await manifestHealthcheck('postgres');
    await waitFor(
      'the postgres healthcheck',
      async () => (await execIn(names.postgres, health)).code === 0,
      120_000,
    );
    // As the tests and operators use it: psql inside the container, as the postgres user.
    const local = await execIn(
      names.postgres,
      ['psql', '-d', 'remcode', '-tAc', 'SHOW server_encoding'],
      'postgres',
    );
    expect(local).toEqual({ code: 0, out: 'UTF8\n' });
    // Over the network only the password opens the door.
    const login = (password: string) =>
      execIn(names.postgres, [
        'sh',
        '-c',
        `PGPASSWORD=${password} psql -h 127.0.0.1 -U postgres -d remcode -tAc 'SELECT 1'`,
      ]);
    expect(await login(`postgres-${id}`)).toEqual({ code: 0, out: '1\n' });
    expect((await login('wrong')).out).toMatch(/password authentication failed/);
    // A backup and a restore as docs/operations.md does them, with the tools inside the image.
    const sql = (query: string) =>
      execIn(names.postgres, ['psql', '-d', 'remcode', '-tAc', query], 'postgres');
    expect((await sql('CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)')).code).toBe(0);
    const backup = await execIn(
      names.postgres,
      [
        'sh',
        '-c',
        'pg_dump -Fc remcode >/tmp/backup.dump && createdb restored && pg_restore -d restored /tmp/backup.dump',
      ],
      'postgres',
    );
    expect(backup).toEqual({ code: 0, out: '' });
    const restored = await execIn(
      names.postgres,
      ['psql', '-d', 'restored', '-tAc', 'SELECT n FROM kept'],
      'postgres',
    );
    expect(restored.out).toBe('42\n');
    expect((await sql('DROP TABLE kept')).code).toBe(0);
  });

  it("the webapp image, run as the manifest's migrate job and then as its webapp, migrates the database as the owner, sets the program roles' passwords, then serves the API and the UI as remcode_webapp", async () => {
    const loaded = await loadDesired(join(manifests, 'remcode.yaml'));
    if (!loaded.ok) throw new Error('manifests/remcode.yaml is invalid');
    const { migrate, webapp } = loaded.desired.services;
    if (!migrate?.command || !webapp)
      throw new Error('the manifest has no migrate job with a command, or no webapp');
    // The manifest's own environment: the services' names are the containers' network aliases here.
    const environmentOf = (service: { environment?: Record<string, string> }) =>
      Object.entries(service.environment ?? {}).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
    // The job first, in the foreground: it exits 0 once the database is ready for the programs' roles.
    await docker(
      'run',
      '--rm',
      '--network',
      network,
      '-v',
      `${secrets}:/run/secrets:ro`,
      ...environmentOf(migrate),
      migrate.image,
      ...migrate.command,
    );
    await docker(
      'run',
      '-d',
      '--name',
      names.webapp,
      '--network',
      network,
      '-v',
      `${secrets}:/run/secrets:ro`,
      ...environmentOf(webapp),
      webapp.image,
      ...(webapp.command ?? []),
    );
    const health = await manifestHealthcheck('webapp');
    await waitFor(
      'the webapp healthcheck',
      async () => (await execIn(names.webapp, health)).code === 0,
      120_000,
    );
    const get = (path: string) =>
      execIn(names.webapp, [
        'node',
        '-e',
        `fetch('http://127.0.0.1:8080${path}').then(async (r) => process.stdout.write(r.status + ' ' + (await r.text())))`,
      ]);
    expect((await get('/api/v1/languages')).out).toMatch(/^200 /);
    expect((await get('/')).out).toMatch(/^200 <!doctype html>/i);
    const migrations = await execIn(
      names.postgres,
      ['psql', '-d', 'remcode', '-tAc', 'SELECT count(*) > 0 FROM schema_migrations'],
      'postgres',
    );
    expect(migrations.out).toBe('t\n');
    // The executor's role now logs in over the network with the password in its secret.
    const executor = await execIn(names.postgres, [
      'sh',
      '-c',
      `PGPASSWORD=postgres-executor-${id} psql -h 127.0.0.1 -U remcode_executor -d remcode -tAc 'SELECT current_user'`,
    ]);
    expect(executor).toEqual({ code: 0, out: 'remcode_executor\n' });
    // The webapp's pool is remcode_webapp's, which may not create a table. /readyz asks Postgres and
    // leaves the connection idle in the pool (for 10 s): look right after it.
    expect((await get('/readyz')).out).toMatch(/^200 /);
    const sessions = await execIn(
      names.postgres,
      [
        'psql',
        '-d',
        'remcode',
        '-tAc',
        "SELECT DISTINCT usename FROM pg_stat_activity WHERE client_addr IS NOT NULL AND datname = 'remcode'",
      ],
      'postgres',
    );
    expect(sessions.out).toBe('remcode_webapp\n');
    const create = await execIn(names.postgres, [
      'sh',
      '-c',
      `PGPASSWORD=postgres-webapp-${id} psql -h 127.0.0.1 -U remcode_webapp -d remcode -v ON_ERROR_STOP=1 -tAc 'CREATE TABLE x (a int)'`,
    ]);
    expect(create.code).not.toBe(0);
    expect(create.out).toContain('permission denied for schema public');
    // The webapp's connections to Redis are its own user's.
    const clients = await execIn(names.redis, [
      'sh',
      '-c',
      'REDISCLI_AUTH=$(cat "$REDIS_PASSWORD_FILE") redis-cli CLIENT LIST',
    ]);
    const users = new Set([...clients.out.matchAll(/ user=(\S+)/g)].map((m) => m[1]));
    expect([...users].sort()).toEqual(['default', 'webapp']);
  });

  it('the edge and Prometheus pass the healthchecks the manifest gives them', async () => {
    await docker('run', '-d', '--name', names.edge, '--network', network, 'remcode-edge:local');
    await docker('run', '-d', '--name', names.prometheus, '--network', network, 'remcode-prometheus:local');
    for (const service of ['edge', 'prometheus'] as const) {
      const health = await manifestHealthcheck(service);
      await waitFor(
        `the ${service} healthcheck`,
        async () => (await execIn(names[service], health)).code === 0,
        60_000,
      );
    }
    // The rules built into the image are loaded.
    const rules = await execIn(names.prometheus, [
      'wget',
      '-q',
      '-O',
      '-',
      'http://127.0.0.1:9090/api/v1/rules',
    ]);
    expect(rules.out).toContain('/etc/prometheus/rules/alerts.yml');
  });

  it('the controller bundle plans the manifest against the Docker engine', async () => {
    // The shipped manifest under a stack name of its own, so that the plan is the same on every machine.
    const desired = join(secrets, 'desired');
    await mkdir(desired);
    const manifest = await readFile(join(manifests, 'remcode.yaml'), 'utf8');
    await writeFile(join(desired, 'remcode.yaml'), manifest.replace(/^stack: .*$/m, `stack: images${id}`));
    // The files the manifest names beside itself, as swarm:up mounts the manifest's whole folder.
    await cp(join(manifests, 'seccomp'), join(desired, 'seccomp'), { recursive: true });
    const out = await docker(
      'run',
      '--rm',
      '-v',
      '/var/run/docker.sock:/var/run/docker.sock',
      '-v',
      `${desired}:/etc/remcode:ro`,
      'remcode-controller:local',
      'plan',
      '-f',
      '/etc/remcode/remcode.yaml',
    ).catch((error: { code?: number; stdout?: string }) => {
      // plan exits 2 when changes are pending, as they all are for a stack that does not exist.
      if (error.code === 2 && error.stdout) return error.stdout;
      throw error;
    });
    expect(out).toContain(`+ create service images${id}_webapp`);
  });
});
