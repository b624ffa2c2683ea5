import { readFileSync } from 'node:fs';
import os from 'node:os';
import { DEFAULT_LIMITS, MAX_LIMITS, parseLimitList } from './limits.js';
import type { SubmissionLimits } from './limits.js';
import { UnitParseError, parseBytes, parseDurationMs } from './units.js';
import { DEFAULT_POOL, POOL_NAME } from './pools.js';

/**
 * Configuration of each program, parsed once from the environment at start. Defaults live here and
 * nowhere else; docs/architecture.md and the README list them.
 */

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface CommonConfig {
  /** Postgres connection string, password already applied from DATABASE_PASSWORD_FILE. */
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** From REDIS_PASSWORD_FILE, when set; kept apart so it never appears in a logged URL. */
  readonly redisPassword: string | undefined;
  readonly prefix: string;
  readonly logLevel: LogLevel;
  /**
   * How long an operation that meets a Redis or Postgres outage (a restart, a full connection table)
   * waits, retrying with backoff, before it is reported: a 503 in the webapp, a retried job in the
   * executor. Default 10 s: inside the webapp's health check and the edge's timeouts.
   */
  readonly outageBudgetMs: number;
}

export interface WebappConfig extends CommonConfig {
  readonly port: number;
  readonly host: string;
  /** Longest `?wait=true` wait before answering 202. Default 10 s. */
  readonly waitTimeoutMs: number;
  /**
   * On SIGTERM, how long readiness fails while requests are still served, before the server closes: at
   * least the time a load balancer needs to see the failed check. Default 0 (no balancer in front).
   */
  readonly drainDelayMs: number;
  /** Largest request body. Default 4 MiB. */
  readonly maxBodyBytes: number;
  /** Largest decoded source file, stdin, or expected output. Default 1 MiB. */
  readonly maxFileBytes: number;
  /** Queue length from which new submissions get 503. Default 10000. */
  readonly queueMax: number;
  /** `open` accepts anonymous requests; `required` demands an API key. Default `open`. */
  readonly auth: 'open' | 'required';
  /** Requests per minute per API key when the key has no own rate. Default 600. */
  readonly rateLimitPerMinute: number;
  readonly limitDefaults: SubmissionLimits;
  readonly limitMaxima: SubmissionLimits;
  /** Finished submissions older than this are deleted. Default 7 days. */
  readonly retentionMs: number;
  /** Interval of the sweep that re-enqueues orphaned rows and applies retention. Default 30 s. */
  readonly sweepIntervalMs: number;
  /** How long an `Idempotency-Key` of a submission answers repeats with the first submission. Default 24 h. */
  readonly idempotencyWindowMs: number;
  /** The Judge0 and Piston dialects of the API (docs/compat.md). */
  readonly compat: CompatConfig;
}

export interface CompatConfig {
  /** Piston v2 under `/api/v2`. Default on. */
  readonly piston: boolean;
  /** Path prefix of the Judge0 CE dialect: `/judge0` by default, `''` at the root, null when off. */
  readonly judge0Prefix: string | null;
  /** Hosts a Judge0 `callback_url` may name; empty (the default) refuses every callback. */
  readonly judge0CallbackHosts: readonly string[];
  /** Whether callbacks may reach loopback, private and link-local addresses. Default false. */
  readonly judge0CallbackPrivate: boolean;
  /**
   * Judge0's authorization tokens (its `AUTHZ_TOKEN`), sent as `X-Auth-User`: they open the list of every
   * submission and the delete route. Empty (the default) closes both with 403, as Judge0 does.
   */
  readonly judge0AuthzTokens: readonly string[];
  /** Judge0's `ENABLE_SUBMISSION_DELETE`. Default false. */
  readonly judge0Delete: boolean;
}

export interface ExecutorConfig extends CommonConfig {
  readonly slots: number;
  /** Sandbox slots beyond `slots` in which jobs wait, ready to run, for a slot's program to end. */
  readonly standbySlots: number;
  readonly metricsPort: number;
  readonly metricsHost: string;
  /** Grace on SIGTERM to finish held jobs before handing them back. Default 25 s (Swarm waits 30 s). */
  readonly shutdownGraceMs: number;
  /** BullMQ lock duration: how soon a job of a killed executor is delivered again. Default 30 s. */
  readonly lockDurationMs: number;
  /** Compile cache size. Default 256 MiB. */
  readonly compileCacheBytes: number;
  /** Catalogue file; default: the one shipped with the executor. */
  readonly catalogueFile: string | undefined;
  readonly executorId: string;
  /** Language whose interpreter every slot keeps started (warm starts); null: every run starts cold. */
  readonly warmLanguage: string | null;
  /**
   * Start where swap is on and the kernel cannot cap it per run (EXECUTOR_ALLOW_UNCAPPED_SWAP=on).
   * Default false: the executor refuses, since a run could then exceed its memory limit in swap.
   */
  readonly allowUncappedSwap: boolean;
  /** The pool this executor belongs to, whose queue it takes jobs from. Default `default`. */
  readonly pool: string;
  /** The language ids it serves; undefined: every language of the catalogue whose tools are installed. */
  readonly languages: readonly string[] | undefined;
}

function readSecretFile(env: Env, variable: string): string | undefined {
  const file = env[variable];
  if (file === undefined || file === '') return undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(variable, `${variable}: cannot read ${file}`, { cause: error });
  }
}

function parseUrl(env: Env, variable: string, fallback: string, protocols: readonly string[]): URL {
  const text = env[variable] ?? fallback;
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new ConfigError(variable, `${variable} is not a URL`, { cause: error });
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(
      variable,
      `${variable} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    );
  }
  return url;
}

function parseInteger(env: Env, variable: string, fallback: number, min: number, max: number): number {
  const text = env[variable];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text.trim())) throw new ConfigError(variable, `${variable} must be a whole number`);
  const value = Number(text);
  if (value < min || value > max)
    throw new ConfigError(variable, `${variable} must be between ${min} and ${max}`);
  return value;
}

function parseWith<T>(env: Env, variable: string, fallback: T, parse: (text: string) => T): T {
  const text = env[variable];
  if (text === undefined || text === '') return fallback;
  try {
    return parse(text);
  } catch (error) {
    const reason = error instanceof UnitParseError ? error.message : 'invalid value';
    throw new ConfigError(variable, `${variable}: ${reason}`, { cause: error });
  }
}

function parseCommon(env: Env): CommonConfig {
  const db = parseUrl(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/remcode', [
    'postgres:',
    'postgresql:',
  ]);
  const dbPassword = readSecretFile(env, 'DATABASE_PASSWORD_FILE');
  if (dbPassword !== undefined) db.password = encodeURIComponent(dbPassword);
  const redis = parseUrl(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']);
  const prefix = env.REMCODE_PREFIX ?? 'remcode';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) {
    throw new ConfigError('REMCODE_PREFIX', 'REMCODE_PREFIX may hold letters, digits, "_", "." and "-" only');
  }
  const logLevel = (env.LOG_LEVEL ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError('LOG_LEVEL', `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return {
    databaseUrl: db.toString(),
    redisUrl: redis.toString(),
    redisPassword: readSecretFile(env, 'REDIS_PASSWORD_FILE'),
    prefix,
    logLevel,
    outageBudgetMs: parseWith(env, 'REMCODE_OUTAGE_BUDGET', 10_000, (t) => parseDurationMs(t)),
  };
}

export function parseWebappConfig(env: Env = process.env): WebappConfig {
  const common = parseCommon(env);
  const auth = env.REMCODE_AUTH ?? 'open';
  if (auth !== 'open' && auth !== 'required')
    throw new ConfigError('REMCODE_AUTH', 'REMCODE_AUTH must be open or required');
  const limitMaxima = parseWith(env, 'REMCODE_LIMIT_MAXIMA', MAX_LIMITS, (t) =>
    parseLimitList(t, MAX_LIMITS, 'REMCODE_LIMIT_MAXIMA'),
  );
  const limitDefaults = parseWith(env, 'REMCODE_LIMIT_DEFAULTS', DEFAULT_LIMITS, (t) =>
    parseLimitList(t, DEFAULT_LIMITS, 'REMCODE_LIMIT_DEFAULTS'),
  );
  return {
    ...common,
    port: parseInteger(env, 'PORT', 8080, 0, 65535),
    host: env.HOST ?? '127.0.0.1',
    waitTimeoutMs: parseWith(env, 'REMCODE_WAIT_TIMEOUT', 10_000, (t) => parseDurationMs(t)),
    drainDelayMs: parseWith(env, 'REMCODE_DRAIN_DELAY', 0, (t) => parseDurationMs(t)),
    maxBodyBytes: parseWith(env, 'REMCODE_MAX_BODY', 4 * 1024 ** 2, (t) => parseBytes(t)),
    maxFileBytes: parseWith(env, 'REMCODE_MAX_FILE', 1024 ** 2, (t) => parseBytes(t)),
    queueMax: parseInteger(env, 'REMCODE_QUEUE_MAX', 10_000, 1, 10_000_000),
    auth,
    rateLimitPerMinute: parseInteger(env, 'REMCODE_RATE_LIMIT', 600, 1, 10_000_000),
    limitDefaults,
    limitMaxima,
    retentionMs: parseWith(env, 'REMCODE_RETENTION', 7 * 24 * 3_600_000, (t) => parseDurationMs(t)),
    sweepIntervalMs: parseWith(env, 'REMCODE_SWEEP_INTERVAL', 30_000, (t) => parseDurationMs(t)),
    idempotencyWindowMs: parseWith(env, 'REMCODE_IDEMPOTENCY_WINDOW', 24 * 3_600_000, (t) =>
      parseDurationMs(t),
    ),
    compat: parseCompat(env),
  };
}

function parseSwitch(env: Env, variable: string, fallback: boolean): boolean {
  const value = (env[variable] ?? '').trim();
  if (value === '') return fallback;
  if (value === 'on' || value === 'off') return value === 'on';
  throw new ConfigError(variable, `${variable} must be on or off`);
}

function parseCompat(env: Env): CompatConfig {
  const prefix = (env.REMCODE_JUDGE0_PREFIX ?? '/judge0').trim();
  if (prefix !== 'off' && prefix !== '/' && !/^(\/[A-Za-z0-9_.-]+)+$/.test(prefix)) {
    throw new ConfigError(
      'REMCODE_JUDGE0_PREFIX',
      'REMCODE_JUDGE0_PREFIX must be a path like /judge0, / or off',
    );
  }
  const hosts = (env.REMCODE_JUDGE0_CALLBACK_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  const bad = hosts.find((h) => !/^(\*\.)?[a-z0-9.-]+$|^\[[0-9a-f:.]+\]$/.test(h));
  if (bad !== undefined) {
    throw new ConfigError(
      'REMCODE_JUDGE0_CALLBACK_HOSTS',
      `REMCODE_JUDGE0_CALLBACK_HOSTS: "${bad}" is not a host name`,
    );
  }
  return {
    piston: parseSwitch(env, 'REMCODE_PISTON', true),
    judge0Prefix: prefix === 'off' ? null : prefix === '/' ? '' : prefix,
    judge0CallbackHosts: hosts,
    judge0CallbackPrivate: parseSwitch(env, 'REMCODE_JUDGE0_CALLBACK_PRIVATE', false),
    // Several tokens separated by blanks, as Judge0 reads its AUTHZ_TOKEN, so one can be rotated out.
    judge0AuthzTokens: (
      readSecretFile(env, 'REMCODE_JUDGE0_AUTHZ_TOKEN_FILE') ??
      env.REMCODE_JUDGE0_AUTHZ_TOKEN ??
      ''
    )
      .split(/\s+/)
      .filter((t) => t !== ''),
    judge0Delete: parseSwitch(env, 'REMCODE_JUDGE0_DELETE', false),
  };
}

export function parseExecutorConfig(env: Env = process.env): ExecutorConfig {
  const common = parseCommon(env);
  const slots = parseInteger(env, 'EXECUTOR_SLOTS', os.availableParallelism(), 1, 1024);
  return {
    ...common,
    slots,
    standbySlots: parseInteger(env, 'EXECUTOR_STANDBY_SLOTS', slots, 0, 1024),
    metricsPort: parseInteger(env, 'EXECUTOR_METRICS_PORT', 9101, 0, 65535),
    metricsHost: env.EXECUTOR_METRICS_HOST ?? '0.0.0.0',
    shutdownGraceMs: parseWith(env, 'EXECUTOR_SHUTDOWN_GRACE', 25_000, (t) => parseDurationMs(t)),
    lockDurationMs: parseWith(env, 'EXECUTOR_LOCK_DURATION', 30_000, (t) => parseDurationMs(t)),
    compileCacheBytes: parseWith(env, 'EXECUTOR_COMPILE_CACHE', 256 * 1024 ** 2, (t) => parseBytes(t)),
    catalogueFile: env.REMCODE_CATALOGUE || undefined,
    executorId: env.EXECUTOR_ID || `${os.hostname()}-${process.pid}`,
    warmLanguage: parseWarmLanguage(env),
    allowUncappedSwap: parseSwitch(env, 'EXECUTOR_ALLOW_UNCAPPED_SWAP', false),
    pool: parsePool(env),
    languages: parseLanguageList(env),
  };
}

function parsePool(env: Env): string {
  const value = (env.EXECUTOR_POOL ?? '').trim() || DEFAULT_POOL;
  if (!POOL_NAME.test(value)) {
    throw new ConfigError(
      'EXECUTOR_POOL',
      `EXECUTOR_POOL must be lower-case letters, digits, - and _ (at most 63), not "${value}"`,
    );
  }
  return value;
}

function parseLanguageList(env: Env): readonly string[] | undefined {
  const value = (env.EXECUTOR_LANGUAGES ?? '').trim();
  if (value === '') return undefined;
  const ids = value.split(',').map((id) => id.trim());
  const bad = ids.find((id) => !/^[a-z][a-z0-9_-]*$/.test(id));
  if (bad !== undefined) {
    throw new ConfigError(
      'EXECUTOR_LANGUAGES',
      `EXECUTOR_LANGUAGES must be language ids separated by commas, not "${value}" ("${bad}")`,
    );
  }
  return [...new Set(ids)];
}

export interface ControllerConfig extends CommonConfig {
  /** Port of `/status`, `/healthz` and `/metrics`. Default 9102. */
  readonly port: number;
  /** Default 127.0.0.1; 0.0.0.0 in a container. */
  readonly host: string;
  /**
   * Whether the autoscaler reads the queue in Redis (REMCODE_AUTOSCALE_REDIS, default on). Off: queue
   * checks fail, and a failed check never scales in.
   */
  readonly redisEnabled: boolean;
  /** Prometheus for autoscale checks without their own `url`; unset: those checks fail. */
  readonly prometheusUrl: string | undefined;
  /**
   * A Unix socket the daemon also serves its API on (CONTROLLER_SOCKET, unset by default), so that
   * `controller status` on the manager's shell reaches a controller that runs in a container and
   * publishes no port. `controller status` looks here first, then in CONTROLLER_RUN_VOLUME.
   */
  readonly socket: string | undefined;
}

/**
 * `swarm:up` mounts this local volume at /run/remcode in the controller's container and points
 * CONTROLLER_SOCKET at `controller.sock` in it; `controller status` on the manager finds it there.
 */
export const CONTROLLER_RUN_VOLUME = 'remcode-controller-run';

export function parseControllerConfig(env: Env = process.env): ControllerConfig {
  const common = parseCommon(env);
  const redisFlag = env.REMCODE_AUTOSCALE_REDIS ?? 'on';
  if (redisFlag !== 'on' && redisFlag !== 'off')
    throw new ConfigError('REMCODE_AUTOSCALE_REDIS', 'REMCODE_AUTOSCALE_REDIS must be on or off');
  return {
    ...common,
    port: parseInteger(env, 'CONTROLLER_PORT', 9102, 0, 65535),
    host: env.CONTROLLER_HOST ?? '127.0.0.1',
    redisEnabled: redisFlag === 'on',
    prometheusUrl:
      env.PROMETHEUS_URL === undefined || env.PROMETHEUS_URL === ''
        ? undefined
        : parseUrl(env, 'PROMETHEUS_URL', '', ['http:', 'https:']).toString(),
    socket: parseSocketPath(env),
  };
}

function parseSocketPath(env: Env): string | undefined {
  const value = env.CONTROLLER_SOCKET;
  if (value === undefined || value === '') return undefined;
  if (!value.startsWith('/'))
    throw new ConfigError('CONTROLLER_SOCKET', 'CONTROLLER_SOCKET must be an absolute path');
  // sun_path holds 108 bytes with its terminator on Linux; a longer path fails only at listen time.
  if (Buffer.byteLength(value) > 107)
    throw new ConfigError('CONTROLLER_SOCKET', 'CONTROLLER_SOCKET must be at most 107 bytes long');
  return value;
}

/** `prepare-database`: the owner's connection (DATABASE_URL) and the passwords it gives the program roles. */
export interface MigrateConfig {
  readonly databaseUrl: string;
  readonly logLevel: LogLevel;
  /**
   * Passwords of the roles the migrations create (`remcode_webapp`, `remcode_executor`), from
   * REMCODE_WEBAPP_DATABASE_PASSWORD_FILE and REMCODE_EXECUTOR_DATABASE_PASSWORD_FILE; unset leaves a
   * role's password as it is (a server that trusts local connections needs none).
   */
  readonly rolePasswords: Readonly<Record<string, string>>;
}

export function parseMigrateConfig(env: Env = process.env): MigrateConfig {
  const { databaseUrl, logLevel } = parseCommon(env);
  const rolePasswords: Record<string, string> = {};
  for (const [role, variable] of [
    ['remcode_webapp', 'REMCODE_WEBAPP_DATABASE_PASSWORD_FILE'],
    ['remcode_executor', 'REMCODE_EXECUTOR_DATABASE_PASSWORD_FILE'],
  ] as const) {
    const password = readSecretFile(env, variable);
    if (password === '') throw new ConfigError(variable, `${variable}: the file is empty`);
    if (password !== undefined) rolePasswords[role] = password;
  }
  return { databaseUrl, logLevel, rolePasswords };
}

function parseWarmLanguage(env: Env): string | null {
  const value = (env.EXECUTOR_WARM ?? 'python').trim();
  if (value === '' || value === 'off') return null;
  if (!/^[a-z][a-z0-9]*$/.test(value)) {
    throw new ConfigError('EXECUTOR_WARM', `EXECUTOR_WARM must be a language id or "off", not "${value}"`);
  }
  return value;
}

/** The URL with its password masked, for logs and messages. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return '(unparseable URL)';
  }
}
