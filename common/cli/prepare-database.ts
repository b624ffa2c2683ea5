import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseMigrateConfig, redactUrl } from '../config.js';
import { createPool, ensureDatabase, migrate, setRolePasswords } from '../db.js';
import { createLogger } from '../logger.js';

/**
 * `node dist/common/cli/prepare-database.js [--stay]`, as the database owner (REMCODE_OWNER_DATABASE_URL
 * when set, else DATABASE_URL): creates the database when missing, applies migrations (which create the
 * program roles) and sets those roles' passwords from REMCODE_WEBAPP_DATABASE_PASSWORD_FILE and
 * REMCODE_EXECUTOR_DATABASE_PASSWORD_FILE, with a plain message when Postgres cannot be reached.
 * `npm start` runs it before the programs start. The Swarm stack's webapp task loads it first with
 * `node --import` (manifests/remcode.yaml), which waits for it before the webapp's main module runs;
 * there DATABASE_URL names the webapp's own role, hence the owner's variables of its own. `--stay`
 * idles afterwards, for a `migrate` service of its own that Swarm must not restart and whose owner's
 * password lives in no process that takes input.
 */
const stay = process.argv.includes('--stay');
const unknown = process.argv.slice(2).filter((a) => a !== '--stay');
const logger = createLogger('prepare-database', 'info');
let databaseUrl = '';
try {
  if (unknown.length > 0)
    throw new ConfigError('argv', `unknown argument ${unknown[0]}; the only one is --stay`);
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
if (stay) {
  // Nothing left to do: say so to the healthcheck (manifests/remcode.yaml) and sleep until stopped.
  writeFileSync(join(tmpdir(), 'remcode-database-ready'), '');
  const timer = setInterval(() => undefined, 2 ** 31 - 1);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      clearInterval(timer);
      process.exit(0);
    });
  }
}
