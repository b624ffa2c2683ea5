import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  TEST_REDIS_URL,
  createTestDatabase,
  deleteRedisPrefix,
  testPrefix,
} from '../../test/support/isolation.js';
import type { TestDatabase } from '../../test/support/isolation.js';
import { platformEnv, startExecutor, startService, startWebapp } from '../../test/support/processes.js';
import type { ServiceProcess } from '../../test/support/processes.js';
import { until } from '../../test/support/until.js';
import { redisKeys } from '../../common/keys.js';

/**
 * Executor pools end to end: a webapp process and executor processes of two pools with different
 * language sets, the real sandbox, Redis and Postgres. The routing under test is the real one: each
 * executor announces its pool and takes jobs from its pool's queue; the webapp picks the queue.
 */

let db: TestDatabase;
let prefix: string;
const started: ServiceProcess[] = [];

function env(extra: Record<string, string> = {}): Record<string, string> {
  return platformEnv(
    { databaseUrl: db.url, redisUrl: TEST_REDIS_URL, prefix },
    { EXECUTOR_SLOTS: '1', EXECUTOR_STANDBY_SLOTS: '0', REMCODE_WAIT_TIMEOUT: '30s', ...extra },
  );
}

function track<T extends ServiceProcess>(value: T): T {
  started.push(value);
  return value;
}

async function run(url: string, language: string, source: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}/api/v1/submissions?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ language, source }),
  });
  return { status: response.status, ...((await response.json()) as Record<string, unknown>) };
}

async function languageIds(url: string): Promise<string[]> {
  const list = (await (await fetch(`${url}/api/v1/languages`)).json()) as { id: string }[];
  return list.map((l) => l.id).sort();
}

beforeAll(async () => {
  db = await createTestDatabase();
});

afterEach(async () => {
  for (const process of started.splice(0)) {
    process.kill('SIGKILL');
    await process.exited;
  }
  await deleteRedisPrefix(prefix);
});

afterAll(async () => {
  await db.drop();
});

describe('executor pools', () => {
  it('routes each submission to a running pool that has its language and lists what the pools run', async () => {
    prefix = testPrefix();
    const { url, process: webapp } = await startWebapp(env());
    track(webapp);
    track(
      await startExecutor(
        env({ EXECUTOR_POOL: 'small', EXECUTOR_LANGUAGES: 'python,c', EXECUTOR_ID: 'small-1' }),
      ),
    );
    const big = track(
      await startExecutor(
        env({ EXECUTOR_POOL: 'big', EXECUTOR_LANGUAGES: 'python,bash,perl', EXECUTOR_ID: 'big-1' }),
      ),
    );
    await until(async () => (await languageIds(url)).length === 4, 20_000, 'both pools listed');
    expect(await languageIds(url)).toEqual(['bash', 'c', 'perl', 'python']);

    // Only the big pool has bash; Python is in both and goes to the smaller pool, built for it.
    const bash = await run(url, 'bash', 'echo "from $0"');
    expect(bash).toMatchObject({ status: 200, verdict: 'accepted', executor: 'big-1' });
    const python = await run(url, 'python', 'print(6 * 7)');
    expect(python).toMatchObject({ status: 200, verdict: 'accepted', executor: 'small-1' });

    // The compat dialects list the same languages.
    const piston = (await (await fetch(`${url}/api/v2/runtimes`)).json()) as { language: string }[];
    expect(new Set(piston.map((r) => r.language))).toEqual(new Set(['bash', 'c', 'perl', 'python']));
    const judge0 = (await (await fetch(`${url}/judge0/languages`)).json()) as { name: string }[];
    expect(judge0.some((l) => l.name.startsWith('Bash'))).toBe(true);

    // Once the big pool's last executor is gone its announcement expires: bash is no longer offered, and
    // a submission in it gets a clear 422 naming what the running executors serve.
    big.kill('SIGTERM');
    expect(await big.exited).toBe(0);
    await until(async () => !(await languageIds(url)).includes('bash'), 30_000, 'bash no longer listed');
    const refused = await run(url, 'bash', 'echo hi');
    expect(refused).toMatchObject({ status: 422, code: 'unknown_language' });
    expect(String(refused.detail)).toContain('python, c');
  });

  it('announces each pool under a key that expires with its heartbeat', async () => {
    prefix = testPrefix();
    track(await startExecutor(env({ EXECUTOR_POOL: 'solo', EXECUTOR_LANGUAGES: 'python' })));
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const keys = redisKeys(prefix);
      const ttl = await redis.pttl(keys.pool('solo'));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(6_500);
      expect(await redis.smembers(keys.pools)).toEqual(['solo']);
    } finally {
      redis.disconnect();
    }
  });

  it('refuses to start when asked for a language the catalogue lacks, naming it', async () => {
    prefix = testPrefix();
    const executor = track(startService('executor', env({ EXECUTOR_LANGUAGES: 'python,klingon' })));
    expect(await executor.exited).not.toBe(0);
    expect(executor.output()).toContain('not in the language catalogue: klingon');
  });

  it('refuses to start when asked for a language whose tools its image lacks', async () => {
    prefix = testPrefix();
    // A catalogue whose only language needs a tool this machine does not have stands in for an image
    // built without that language.
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/remcode-pool-`);
    try {
      await writeFile(
        `${dir}/catalogue.yaml`,
        [
          'languages:',
          '  - id: absent',
          '    name: Absent',
          '    aliases: []',
          '    sourceFile: main.absent',
          '    compile: null',
          "    run: [/usr/bin/remcode-absent-tool, '{source}']",
          "    version: { argv: [/usr/bin/remcode-absent-tool, --version], pattern: '(\\d+)' }",
          '    packages: [remcode-absent]',
          '    env: {}',
          '    limitAdjust: {}',
          '    compileLimits: {}',
          '    editorMode: plain',
          '    starter: |',
          '      hello',
          '',
        ].join('\n'),
      );
      const executor = track(
        startService(
          'executor',
          env({ REMCODE_CATALOGUE: `${dir}/catalogue.yaml`, EXECUTOR_LANGUAGES: 'absent' }),
        ),
      );
      expect(await executor.exited).not.toBe(0);
      expect(executor.output()).toContain('absent is not installed in this image');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
