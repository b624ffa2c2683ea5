import { ConfigError, parseMigrateConfig, redactUrl } from '../config.js';
import { createPool, ensureDatabase, migrate, setRolePasswords } from '../db.js';
import { createLogger } from '../logger.js';

/**
 * `node dist/common/cli/prepare-database.js`, as the database owner (REMCODE_OWNER_DATABASE_URL when
 * set, else DATABASE_URL): creates the database when missing, applies migrations (which create the
 * program roles) and sets those roles' passwords from REMCODE_WEBAPP_DATABASE_PASSWORD_FILE and
 * REMCODE_EXECUTOR_DATABASE_PASSWORD_FILE, with a plain message when Postgres cannot be reached.
 * `npm start` runs it before the programs start; on a Swarm it is the `migrate` job
 * (manifests/remcode.yaml), the only task given the owner's password. It exits 0 when done, 78 on a
 * configuration mistake and 1 when Postgres refuses, so the job's task reports which.
 */
const unknown = process.argv.slice(2);
const logger = createLogger('prepare-database', 'info');
let databaseUrl = '';
try {
  if (unknown.length > 0) throw new ConfigError('argv', `unknown argument ${unknown[0]}; it takes none`);
  const config = parseMigrateConfig();
  databaseUrl = config.databaseUrl;
  if (await ensureDatabase(databaseUrl))
    logger.info(`created database ${new URL(databaseUrl).pathname.slice(1)}`);
  const pool = createPool(databaseUrl, logger, 1);
  try {
    const applied = await migrate(pool, logger);
    await setRolePasswords(pool, config.rolePasswords);
    logger.info({ applied, passwordsSet: Object.keys(config.rolePasswords) }, 'database ready');
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
