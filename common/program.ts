import { ConfigError, redactUrl, type LogLevel } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { RedisUnreachableError } from './redis.js';

interface ProgramConfig {
  readonly logLevel: LogLevel;
  readonly redisUrl: string;
  readonly databaseUrl: string;
}

export interface ProgramOptions {
  /** Whether the program uses Postgres, so that a refused connection is blamed on it. Default true. */
  readonly postgres?: boolean;
}

/**
 * Start-up shared by every program: parse the config (exit 78 with its message when it is
 * wrong), then run, turning an unreachable Redis or Postgres into one sentence that says what to check
 * instead of a stack trace.
 */
export function startProgram<C extends ProgramConfig>(
  name: string,
  parseConfig: () => C,
  run: (config: C, logger: Logger) => Promise<void>,
  options: ProgramOptions = {},
): void {
  let config: C;
  try {
    config = parseConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      createLogger(name, 'info').fatal(error.message);
      process.exit(78);
    }
    throw error;
  }
  const logger = createLogger(name, config.logLevel);
  run(config, logger).catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof RedisUnreachableError) {
      logger.fatal(`${message} (REDIS_URL=${redactUrl(config.redisUrl)}); is redis-server running?`);
    } else if ((options.postgres ?? true) && /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|timeout/i.test(message)) {
      logger.fatal(
        `cannot reach Postgres at ${redactUrl(config.databaseUrl)}: ${message}; is PostgreSQL running?`,
      );
    } else {
      logger.fatal({ err: error }, `${name} failed to start`);
    }
    process.exit(1);
  });
}
