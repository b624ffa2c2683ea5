import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDisposableRedis } from '../support/disposable-servers.js';
import type { DisposableServer } from '../support/disposable-servers.js';
import { createTestDatabase, testPrefix } from '../support/isolation.js';
import type { TestDatabase } from '../support/isolation.js';
import { platformEnv, startExecutor, startWebapp } from '../support/processes.js';
import type { ServiceProcess } from '../support/processes.js';
import { until } from '../support/until.js';

/**
 * The Redis users the stack's Redis image creates (manifests/images/redis/users.acl), on a real Redis:
 * the webapp and the executor run a submission end to end under them with no command or key denied,
 * and neither can reach another prefix or the server's administration.
 */

const ACL_FILE = new URL('../../manifests/images/redis/users.acl', import.meta.url);

let redis: DisposableServer;
let admin: Redis;
let db: TestDatabase;
let dir: string;
const prefix = testPrefix();
const passwords = { webapp: randomBytes(16).toString('hex'), executor: randomBytes(16).toString('hex') };
const started: ServiceProcess[] = [];

/** The users file as `ACL SETUSER` arguments, PREFIX replaced as the image's entrypoint does. */
async function users(): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  for (const line of (await readFile(ACL_FILE, 'utf8')).split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [name, , ...rules] = line.trim().split(/\s+/);
    if (name === undefined) continue;
    result.set(
      name,
      rules.map((rule) => rule.replaceAll('PREFIX', prefix)),
    );
  }
  return result;
}

function connect(user: 'webapp' | 'executor'): Redis {
  const client = new Redis({
    port: redis.port,
    host: '127.0.0.1',
    username: user,
    password: passwords[user],
    maxRetriesPerRequest: 1,
  });
  client.on('error', () => undefined);
  return client;
}

/** The error a command fails with ('ok' when it succeeds). */
async function outcome(client: Redis, command: string, ...args: (string | number)[]): Promise<string> {
  try {
    await client.call(command, ...args);
    return 'ok';
  } catch (error) {
    return (error as Error).message.split(' ')[0] ?? String(error);
  }
}

beforeAll(async () => {
  redis = await startDisposableRedis();
  admin = new Redis({ port: redis.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  const rules = await users();
  expect([...rules.keys()].sort()).toEqual(['executor', 'webapp']);
  for (const [name, list] of rules) {
    await admin.call(
      'ACL',
      'SETUSER',
      name,
      'reset',
      'on',
      `>${passwords[name as 'webapp' | 'executor']}`,
      ...list,
    );
  }
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'remcode-redis-users-'));
  await writeFile(join(dir, 'webapp'), passwords.webapp);
  await writeFile(join(dir, 'executor'), passwords.executor);
}, 60_000);

afterAll(async () => {
  for (const p of started) {
    p.kill('SIGKILL');
    await p.exited;
  }
  admin.disconnect();
  await redis.close();
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('Redis users of the programs', () => {
  it('the webapp and the executor run a submission with nothing denied', async () => {
    const env = (user: 'webapp' | 'executor', extra: Record<string, string> = {}) =>
      platformEnv(
        { databaseUrl: db.url, redisUrl: `redis://${user}@127.0.0.1:${redis.port}`, prefix },
        { REDIS_PASSWORD_FILE: join(dir, user), ...extra },
      );
    started.push(await startExecutor(env('executor', { EXECUTOR_SLOTS: '1' })));
    const web = await startWebapp(env('webapp'));
    started.push(web.process);
    let text = '';
    await until(
      async () => {
        const response = await fetch(`${web.url}/api/v1/submissions?wait=true`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ language: 'python', source: 'print(input())', stdin: 'acl' }),
        });
        text = await response.text();
        return response.status !== 503;
      },
      60_000,
      'the webapp to see the executor',
    );
    expect(text).toContain('"verdict":"accepted"');
    // The event stream of a finished submission, and the queue figures of /api/v1/system, as a browser reads them.
    const id = (JSON.parse(text) as { id: string }).id;
    expect((await fetch(`${web.url}/api/v1/submissions/${id}`)).status).toBe(200);
    // Every command and key either program used: a denial would be logged here.
    const denials = (await admin.call('ACL', 'LOG')) as unknown[];
    expect(denials).toEqual([]);
  });

  it.each(['webapp', 'executor'] as const)(
    '%s may not reach another prefix or administer Redis',
    async (user) => {
      const client = connect(user);
      try {
        expect(await outcome(client, 'SET', `${prefix}:probe`, '1')).toBe('ok');
        expect(await outcome(client, 'GET', 'other:key')).toBe('NOPERM');
        expect(await outcome(client, 'SET', 'other:key', '1')).toBe('NOPERM');
        // A script reaching a key outside the prefix fails inside Lua, with the ACL's reason.
        expect(await outcome(client, 'EVAL', "return redis.call('get', 'other:key')", 0)).toBe('ERR');
        expect(
          await client.eval("return redis.call('get', 'other:key')", 0).catch((e: Error) => e.message),
        ).toContain("can't access at least one of the keys");
        expect(await outcome(client, 'PUBLISH', 'other:channel', 'x')).toBe('NOPERM');
        for (const command of [
          ['KEYS', '*'],
          ['FLUSHALL'],
          ['FLUSHDB'],
          ['CONFIG', 'SET', 'dir', '/tmp'],
          ['CONFIG', 'GET', 'requirepass'],
          ['MODULE', 'LIST'],
          ['ACL', 'SETUSER', user, '+@all'],
          ['ACL', 'LIST'],
          ['CLIENT', 'LIST'],
          ['CLIENT', 'KILL', 'TYPE', 'normal'],
          ['MONITOR'],
          ['SHUTDOWN', 'NOSAVE'],
          ['SAVE'],
          ['REPLICAOF', '127.0.0.1', '1'],
          ['MIGRATE', '127.0.0.1', '1', `${prefix}:probe`, '0', '1'],
          ['SWAPDB', '0', '1'],
        ]) {
          expect(await outcome(client, command[0]!, ...command.slice(1)), command.join(' ')).toBe('NOPERM');
        }
        // Refused by Redis's own settings (enable-debug-command, enable-module-command) before the ACL.
        expect(await outcome(client, 'DEBUG', 'SLEEP', '0')).not.toBe('ok');
        expect(await outcome(client, 'MODULE', 'LOAD', '/tmp/x.so')).not.toBe('ok');
        expect(await outcome(client, 'ACL', 'WHOAMI')).toBe('ok');
      } finally {
        client.disconnect();
        await admin.del(`${prefix}:probe`);
      }
    },
  );
});
