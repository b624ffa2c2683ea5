import { ConfigError, parseWebappConfig, redactUrl } from '../config.js';
import { createPool, ensureDatabase, migrate } from '../db.js';
import { createLogger } from '../logger.js';

/**
 * `node dist/common/cli/prepare-database.js`: creates the database when missing and applies migrations,
 * with a plain message when Postgres cannot be reached. Used by `npm start` before the programs start.
 */
const logger = createLogger('prepare-database', 'info');
let databaseUrl = '';
try {
  databaseUrl = parseWebappConfig().databaseUrl;
  if (await ensureDatabase(databaseUrl))
    logger.info(`created database ${new URL(databaseUrl).pathname.slice(1)}`);
  const pool = createPool(databaseUrl, logger, 1);
  try {
    const applied = await migrate(pool, logger);
    logger.info({ applied }, 'database ready');
  } finally {
    await pool.end();
  }
} catch (error) {
  if (error instanceof ConfigError) {
    logger.fatal(error.message);
    process.exit(78);
  }
  const message = error instanceof Error ? error.message : String(error);
  logger.fatal(`cannot prepare the database at ${redactUrl(databaseUrl)}: ${message}`);
  process.exit(1);
}
