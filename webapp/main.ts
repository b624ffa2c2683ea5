import { setTimeout as sleep } from 'node:timers/promises';
import { parseWebappConfig } from '../common/config.js';
import { startProgram } from '../common/program.js';
import type { WebappConfig } from '../common/config.js';
import { ensureDatabase } from '../common/db.js';
import type { Logger } from '../common/logger.js';
import { createRegistry } from '../common/metrics.js';
import { assertRedisReachable } from '../common/redis.js';
import { runCloseSteps } from '../common/lifecycle/close-steps.js';
import { handleSignals } from '../common/signals.js';
import { Sweeper } from './submissions/sweeper.js';
import { buildApp } from './app.js';
import { createWebappContext } from './context.js';
import uiPlugin from './ui-server/plugin.js';

async function run(config: WebappConfig, logger: Logger): Promise<void> {
  await assertRedisReachable({ url: config.redisUrl, password: config.redisPassword });
  // A role that may create databases (`npm run dev` as the superuser) makes a missing one; a program
  // role may not, and its schema gate says what it waits for.
  await ensureDatabase(config.databaseUrl).catch((error: unknown) =>
    logger.debug({ err: error }, 'could not check for the database; trying it as configured'),
  );
  const ctx = await createWebappContext(config, logger, createRegistry('webapp'));
  // Made once the schema is current: it sweeps rows from the start, on a timer of its own.
  const sweeping: { sweeper?: Sweeper } = {};
  const app = await buildApp(ctx, { plugins: [(instance) => uiPlugin(instance)] });
  handleSignals(
    logger,
    async () => {
      // Fail readiness first and keep serving until a balancer in front has seen it, so that no new
      // request is sent here after the server stops accepting; then let waiting requests finish (event
      // streams end with a reconnect hint) and drop connections.
      ctx.lifecycle.to('draining');
      if (config.drainDelayMs > 0) await sleep(config.drainDelayMs);
      await runCloseSteps(
        [
          ['http server', () => app.close()],
          ['readiness', () => ctx.lifecycle.to('closed')],
          ['sweeper', () => sweeping.sweeper?.close()],
          ['connections', () => ctx.close()],
        ],
        logger,
      );
    },
    config.drainDelayMs + config.waitTimeoutMs + 10_000,
  );
  const address = await app.listen({ port: config.port, host: config.host });
  logger.info({ address }, `RemCode webapp listening on ${address}`);
  // Listening already, so the healthcheck passes while readiness fails; the sweeper writes rows and
  // starts only on the schema it was written for.
  if (!(await ctx.schema.wait())) return;
  const started = new Sweeper(
    ctx.store,
    ctx.queues,
    logger.child({ component: 'sweeper' }),
    config.retentionMs,
    config.sweepIntervalMs,
  );
  sweeping.sweeper = started;
  void started.sweep();
  // Registered after the first connect, so this fires on reconnects: after a Redis outage.
  ctx.redis.on('ready', () => started.afterOutage());
}

startProgram('webapp', parseWebappConfig, run);
