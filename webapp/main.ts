import { ConfigError, parseWebappConfig, redactUrl } from '../common/config.js';
import type { WebappConfig } from '../common/config.js';
import { prepareDatabase } from '../common/db.js';
import { createLogger } from '../common/logger.js';
import type { Logger } from '../common/logger.js';
import { createRegistry } from '../common/metrics.js';
import { RedisUnreachableError, assertRedisReachable } from '../common/redis.js';
import { handleSignals } from '../common/signals.js';
import { Sweeper } from './api/sweeper.js';
import { buildApp } from './app.js';
import { createWebappContext } from './context.js';
import uiPlugin from './ui-server/plugin.js';

async function run(config: WebappConfig, logger: Logger): Promise<void> {
  await assertRedisReachable({ url: config.redisUrl, password: config.redisPassword });
  await prepareDatabase(config.databaseUrl, logger);
  const ctx = await createWebappContext(config, logger, createRegistry('webapp'));
  const sweeper = new Sweeper(
    ctx.store,
    ctx.queue,
    logger.child({ component: 'sweeper' }),
    config.retentionMs,
    config.sweepIntervalMs,
  );
  void sweeper.sweep();
  const app = await buildApp(ctx, { plugins: [(instance) => uiPlugin(instance)] });
  handleSignals(
    logger,
    async () => {
      // Stop accepting first, then let waiting requests finish, then drop connections.
      await app.close().catch((error: unknown) => logger.warn({ err: error }, 'http close failed'));
      await sweeper.close();
      await ctx.close();
    },
    config.waitTimeoutMs + 10_000,
  );
  const address = await app.listen({ port: config.port, host: config.host });
  logger.info({ address }, `RemCode webapp listening on ${address}`);
}

const bootLogger = createLogger('webapp', 'info');
let config: WebappConfig;
try {
  config = parseWebappConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    bootLogger.fatal(error.message);
    process.exit(78);
  }
  throw error;
}
const logger = createLogger('webapp', config.logLevel);
run(config, logger).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RedisUnreachableError) {
    logger.fatal(`${message} (REDIS_URL=${redactUrl(config.redisUrl)}); is redis-server running?`);
  } else if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|timeout/i.test(message)) {
    logger.fatal(
      `cannot reach Postgres at ${redactUrl(config.databaseUrl)}: ${message}; is PostgreSQL running?`,
    );
  } else {
    logger.fatal({ err: error }, 'webapp failed to start');
  }
  process.exit(1);
});
