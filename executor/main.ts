import os from 'node:os';
import { parseExecutorConfig } from '../common/config.js';
import { startProgram } from '../common/program.js';
import type { ExecutorConfig } from '../common/config.js';
import { createPool, prepareDatabase } from '../common/db.js';
import type { Logger } from '../common/logger.js';
import { redisKeys } from '../common/keys.js';
import { createRegistry } from '../common/metrics.js';
import { assertRedisReachable, createRedis } from '../common/redis.js';
import { runCloseSteps } from '../common/lifecycle/close-steps.js';
import { handleSignals } from '../common/signals.js';
import { SubmissionStore } from '../common/submissions-store.js';
import { CompileCache } from './judge/compile-cache.js';
import { judge, languageEnv } from './judge/judge.js';
import { loadCatalogue } from './languages/catalogue.js';
import { servedLanguages } from './languages/served.js';
import { createSandbox, warmInterpreter, type WarmInterpreter } from './sandbox/index.js';
import { assertSwapCapped } from './sandbox/swap.js';
import type { InstalledLanguage } from './languages/types.js';
import { Executor } from './worker/executor.js';
import { startHealthServer } from './worker/health-server.js';
import { addressInSubnet } from './worker/metrics-address.js';
import { RetireWatch } from './worker/retire-watch.js';

/**
 * The drain of a retiring executor ends when its runs do; this only bounds a wedged one. Longer than the
 * longest submission the limit maxima allow (64 test cases of 30 s, and the compile).
 */
const RETIRE_GRACE_MS = 60 * 60_000;

/** The warm interpreter of EXECUTOR_WARM's language, when it is installed and has warm start-up code. */
function warmStartFor(
  id: string | null,
  available: readonly InstalledLanguage[],
  logger: Logger,
): WarmInterpreter | null {
  if (id === null) return null;
  const language = available.find((l) => l.id === id);
  if (!language?.warm) {
    logger.warn(
      { language: id },
      language ? 'EXECUTOR_WARM: this language has no warm start' : 'EXECUTOR_WARM: language not available',
    );
    return null;
  }
  return warmInterpreter(language.warm, language.run[0]!, languageEnv(language));
}

async function run(config: ExecutorConfig, logger: Logger): Promise<void> {
  // Before anything else: a task left off the monitoring network stops here, saying so. 127.0.0.1 is
  // for the container's own healthcheck.
  const metricsHosts =
    config.metricsSubnet === undefined
      ? [config.metricsHost]
      : [...new Set([addressInSubnet(config.metricsSubnet, os.networkInterfaces()), '127.0.0.1'])];
  // Languages first: an executor asked for one its image lacks stops before it touches Redis or Postgres.
  const catalogue = await loadCatalogue(
    config.catalogueFile === undefined ? {} : { file: config.catalogueFile },
  );
  const served = servedLanguages(catalogue, config.languages);
  const available = served.list();
  logger.info(
    { pool: config.pool, languages: available.map((l) => `${l.id} ${l.installedVersion ?? ''}`.trim()) },
    'languages',
  );
  await assertRedisReachable({ url: config.redisUrl, password: config.redisPassword });
  await prepareDatabase(config.databaseUrl, logger);
  const pool = createPool(
    config.databaseUrl,
    logger.child({ component: 'postgres' }),
    Math.max(4, config.slots + 2),
  );
  const sandboxLog = logger.child({ component: 'sandbox' });
  // The default warm language is skipped quietly by a pool that does not serve it.
  const warmLanguage =
    config.languages && config.warmLanguage !== null && !config.languages.includes(config.warmLanguage)
      ? null
      : config.warmLanguage;
  const warm = warmStartFor(warmLanguage, available, logger);
  // Before any run: a memory limit that swap could outgrow is no limit (docs/sandbox.md).
  assertSwapCapped(config.allowUncappedSwap);
  const sandbox = await createSandbox({
    slots: config.slots,
    standby: config.standbySlots,
    ...(warm ? { warm } : {}),
    onLog: (level, message, fields) => sandboxLog[level](fields ?? {}, message),
  });
  logger.info(
    {
      cgroup: sandbox.info.cgroup,
      slots: sandbox.info.slots,
      standby: sandbox.info.standby,
      warm: warm ? warmLanguage : null,
    },
    'sandbox ready',
  );

  const redisOptions = { url: config.redisUrl, password: config.redisPassword };
  const redisLog = logger.child({ component: 'redis' });
  const redis = createRedis({ ...redisOptions, role: 'request', name: 'executor' }, redisLog);
  const workerRedis = createRedis({ ...redisOptions, role: 'blocking', name: 'executor-worker' }, redisLog);
  const subscriber = createRedis({ ...redisOptions, role: 'blocking', name: 'executor-cancel' }, redisLog);
  const registry = createRegistry('executor');
  const cache = new CompileCache({ maxBytes: config.compileCacheBytes });
  const executor = new Executor({
    id: config.executorId,
    prefix: config.prefix,
    slots: config.slots,
    standbySlots: config.standbySlots,
    lockDurationMs: config.lockDurationMs,
    pool: config.pool,
    store: new SubmissionStore(pool, { outageBudgetMs: config.outageBudgetMs }),
    redis,
    workerRedis,
    subscriber,
    languages: served,
    judge: (request) => judge(sandbox, request, { cache }),
    registry,
    logger: logger.child({ component: 'executor', executor: config.executorId }),
  });
  const health = await startHealthServer(
    { ready: () => executor.state === 'running', registry },
    config.metricsPort,
    metricsHosts,
  );
  // Retiring takes the same path as SIGTERM: one drain, then exit 0 so Swarm sees a finished task. But
  // no stop grace period hurries a retiring executor: it lets every run finish, however long the limits
  // allow, so that a scale-in cuts none short (docs/autoscaling.md).
  let retiring = false;
  const retire = new RetireWatch(
    redis,
    redisKeys(config.prefix),
    config.executorId,
    () => {
      retiring = true;
      process.kill(process.pid, 'SIGTERM');
    },
    logger.child({ component: 'retire' }),
  );
  const graceMs = (): number => (retiring ? RETIRE_GRACE_MS : config.shutdownGraceMs);
  handleSignals(
    logger,
    async () => {
      retire.close();
      await executor.close(graceMs(), retiring ? 'retire' : 'stop');
      // Users of a connection before the connection.
      await runCloseSteps(
        [
          ['health server', () => health.close()],
          ['sandbox', () => sandbox.close()],
          ['cancel subscriber', () => subscriber.quit()],
          ['worker redis', () => workerRedis.quit()],
          ['redis', () => redis.quit()],
          ['postgres', () => pool.end()],
        ],
        logger,
      );
    },
    () => graceMs() + 5_000,
  );
  await executor.start();
  retire.start();
  logger.info(
    { id: config.executorId, slots: config.slots, metricsPort: health.port, metricsHosts: health.hosts },
    'executor running',
  );
}

startProgram('executor', parseExecutorConfig, run);
