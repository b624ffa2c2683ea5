import { ConfigError, parseWebappConfig } from '../../common/config.js';
import { createPool } from '../../common/db.js';
import { createLogger } from '../../common/logger.js';
import { createApiKey } from '../access/api-keys.js';

/**
 * `node dist/webapp/cli/create-api-key.js NAME [REQUESTS_PER_MINUTE]` (or `npx tsx webapp/cli/create-api-key.ts`):
 * creates an API key and prints it once; only its hash is stored.
 */
const [name, rate] = process.argv.slice(2);
if (name === undefined || name === '' || (rate !== undefined && !/^\d+$/.test(rate))) {
  console.error('usage: create-api-key NAME [REQUESTS_PER_MINUTE]');
  process.exit(64);
}
const logger = createLogger('create-api-key', 'warn');
try {
  const config = parseWebappConfig();
  const pool = createPool(config.databaseUrl, logger, 1);
  try {
    const { id, key } = await createApiKey(pool, name, rate === undefined ? null : Number(rate));
    console.log(JSON.stringify({ id, name, key }));
  } finally {
    await pool.end();
  }
} catch (error) {
  console.error(
    error instanceof ConfigError ? error.message : `cannot create the key: ${(error as Error).message}`,
  );
  process.exit(1);
}
