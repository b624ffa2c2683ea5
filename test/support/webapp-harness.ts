import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import type { WebappConfig } from '../../common/config.js';
import { parseWebappConfig } from '../../common/config.js';
import { createPool, migrate } from '../../common/db.js';
import { redisKeys } from '../../common/keys.js';
import { createLogger } from '../../common/logger.js';
import { createRedis } from '../../common/redis.js';
import { SubmissionStore } from '../../common/submissions-store.js';
import { TEST_REDIS_URL, createTestDatabase, deleteRedisPrefix, testPrefix } from './isolation.js';
import type { TestDatabase } from './isolation.js';
import type { InstalledLanguage } from '../../executor/languages/types.js';
import type { RunResult } from '../../executor/sandbox/types.js';
import { Executor, publishedLanguages } from '../../executor/worker/executor.js';
import type { JudgeRun } from '../../executor/worker/job-runner.js';
import { buildApp } from '../../webapp/app.js';
import { createWebappContext } from '../../webapp/context.js';
import type { WebappContext } from '../../webapp/context.js';
import { DEFAULT_POOL, announcePool } from '../../common/pools.js';

/**
 * A webapp and an in-process executor against a fresh database and Redis prefix, for the API tests.
 * The executor runs a judge given by the test (the worker's judge seam), so API behaviour (waiting,
 * streaming, cancelling) is tested without depending on the speed of real programs.
 */
export interface Harness {
  readonly app: FastifyInstance;
  readonly ctx: WebappContext;
  readonly config: WebappConfig;
  readonly db: TestDatabase;
  readonly prefix: string;
  readonly executor: Executor | undefined;
  close(): Promise<void>;
}

export function fakeLanguage(id: string, compiled: boolean, available = true): InstalledLanguage {
  return {
    id,
    name: id.toUpperCase(),
    aliases: [`${id}-alias`],
    sourceFile: compiled ? 'main.c' : 'main.py',
    compile: compiled ? ['cc', '{source}'] : null,
    run: compiled ? ['./a.out', '{args...}'] : ['python3', '{source}', '{args...}'],
    version: { argv: ['true'], pattern: '(.*)' },
    packages: [],
    supportFiles: [],
    warm: null,
    env: {},
    limitAdjust: {},
    compileLimits: {},
    editorMode: id,
    starter: '',
    starterStdin: '',
    available,
    installedVersion: available ? '1.2.3' : null,
    unavailableReason: available ? null : 'not installed',
  };
}

export function fakeRun(
  stdout: string | Buffer,
  stderr = '',
  verdict: RunResult['verdict'] = 'ok',
): RunResult {
  return {
    verdict,
    timeLimit: null,
    exitCode: verdict === 'ok' ? 0 : 1,
    signal: null,
    cpuTimeMs: 1,
    wallTimeMs: 2,
    memoryBytes: 1024,
    stdout: Buffer.from(stdout),
    stderr: Buffer.from(stderr),
    stdoutTruncated: false,
    stderrTruncated: false,
    warmStart: false,
    error: null,
  };
}

export interface HarnessOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly judge?: JudgeRun;
  readonly languages?: InstalledLanguage[];
  readonly slots?: number;
  readonly standbySlots?: number;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const db = await createTestDatabase();
  const prefix = testPrefix();
  const config = parseWebappConfig({
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REMCODE_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const logger = createLogger('test', (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent');
  const migrationPool = createPool(db.url, logger, 1);
  await migrate(migrationPool, logger);
  await migrationPool.end();
  const ctx = await createWebappContext(config, logger, new Registry());
  let executor: Executor | undefined;
  const executorPool = createPool(db.url, logger, 4);
  const redisOptions = { url: TEST_REDIS_URL, password: undefined };
  const redis = createRedis({ ...redisOptions, role: 'request', name: 'test-executor' }, logger);
  const workerRedis = createRedis({ ...redisOptions, role: 'blocking', name: 'test-worker' }, logger);
  const subscriber = createRedis({ ...redisOptions, role: 'blocking', name: 'test-cancel' }, logger);
  const languages = options.languages ?? [fakeLanguage('python', false), fakeLanguage('c', true)];
  // Without an executor the languages are published as an executor would, so submissions are accepted.
  await announcePool(redis, redisKeys(prefix), DEFAULT_POOL, publishedLanguages(languages), undefined);
  if (options.judge) {
    executor = new Executor({
      id: 'test-executor',
      prefix,
      slots: options.slots ?? 2,
      standbySlots: options.standbySlots ?? 0,
      lockDurationMs: 5_000,
      store: new SubmissionStore(executorPool),
      redis,
      workerRedis,
      subscriber,
      languages: { list: () => languages, resolve: (id) => languages.find((l) => l.id === id) },
      judge: options.judge,
      registry: new Registry(),
      logger,
    });
    await executor.start();
  }
  const app = await buildApp(ctx);
  return {
    app,
    ctx,
    config,
    db,
    prefix,
    executor,
    async close() {
      await app.close();
      await executor?.close(1_000);
      await ctx.close();
      await Promise.all([redis.quit(), workerRedis.quit(), executorPool.end()]).catch(() => undefined);
      subscriber.disconnect();
      await db.drop();
      await deleteRedisPrefix(prefix);
    },
  };
}
