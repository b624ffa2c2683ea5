import os from 'node:os';
import { Type } from '@sinclair/typebox';
import type { StaticDecode } from '@sinclair/typebox';
import {
  ConfigError,
  InvalidValue,
  decodeEnv,
  duration,
  onOff,
  oneOf,
  readAs,
  readSecretFile,
  secretFile,
  size,
  url,
  wholeNumber,
} from './env.js';
import type { Env } from './env.js';
import { DEFAULT_LIMITS, MAX_LIMITS, parseLimitList } from './limits.js';
import type { SubmissionLimits } from './limits.js';
import { DEFAULT_POOL, POOL_NAME } from './pools.js';
import { InvalidSubnet, parseSubnet } from './subnet.js';
import type { Subnet } from './subnet.js';

export { ConfigError } from './env.js';

/**
 * Configuration of each program, parsed once from the environment at start: each program's variables
 * are one TypeBox schema below (names, patterns, defaults, how a value is decoded), from which its
 * config is derived. Defaults live here and nowhere else; docs/architecture.md and the README list them.
 */

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
  /** Address of `/healthz`, `/readyz` and `/metrics` when no subnet is given. Default 0.0.0.0. */
  readonly metricsHost: string;
  /**
   * EXECUTOR_METRICS_SUBNET: serve those on the executor's own address in this subnet (the network only
   * Prometheus shares) and on 127.0.0.1, instead of on `metricsHost`. Unset by default.
   */
  readonly metricsSubnet: Subnet | undefined;
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

const CommonEnv = Type.Object({
  DATABASE_URL: url(['postgres:', 'postgresql:'], { default: 'postgres://postgres@127.0.0.1:5432/remcode' }),
  DATABASE_PASSWORD_FILE: secretFile(),
  REDIS_URL: url(['redis:', 'rediss:'], { default: 'redis://127.0.0.1:6379' }),
  REDIS_PASSWORD_FILE: secretFile(),
  REMCODE_PREFIX: Type.String({
    pattern: '^[A-Za-z0-9_.-]{1,64}$',
    default: 'remcode',
    expected: 'may hold letters, digits, "_", "." and "-" only',
  }),
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info', `must be one of ${LOG_LEVELS.join(', ')}`),
  REMCODE_OUTAGE_BUDGET: duration('10s'),
});

function commonConfig(env: StaticDecode<typeof CommonEnv>): CommonConfig {
  const database = new URL(env.DATABASE_URL);
  const databasePassword = readSecretFile('DATABASE_PASSWORD_FILE', env.DATABASE_PASSWORD_FILE);
  if (databasePassword !== undefined) database.password = encodeURIComponent(databasePassword);
  return {
    databaseUrl: database.toString(),
    redisUrl: env.REDIS_URL.toString(),
    redisPassword: readSecretFile('REDIS_PASSWORD_FILE', env.REDIS_PASSWORD_FILE),
    prefix: env.REMCODE_PREFIX,
    logLevel: env.LOG_LEVEL,
    outageBudgetMs: env.REMCODE_OUTAGE_BUDGET,
  };
}

/** A list such as `cpu_time=3s,memory=512MiB` over `base`; unset leaves `base`. */
const limitList = (base: SubmissionLimits, variable: string) =>
  Type.Optional(readAs(Type.String({ emptyIsUnset: true }), (text) => parseLimitList(text, base, variable)));

const WebappEnv = Type.Object({
  ...CommonEnv.properties,
  PORT: wholeNumber(0, 65535, 8080),
  HOST: Type.String({ default: '127.0.0.1' }),
  REMCODE_WAIT_TIMEOUT: duration('10s'),
  REMCODE_DRAIN_DELAY: duration('0s'),
  REMCODE_MAX_BODY: size('4MiB'),
  REMCODE_MAX_FILE: size('1MiB'),
  REMCODE_QUEUE_MAX: wholeNumber(1, 10_000_000, 10_000),
  REMCODE_AUTH: oneOf(['open', 'required'], 'open', 'must be open or required'),
  REMCODE_RATE_LIMIT: wholeNumber(1, 10_000_000, 600),
  REMCODE_LIMIT_DEFAULTS: limitList(DEFAULT_LIMITS, 'REMCODE_LIMIT_DEFAULTS'),
  REMCODE_LIMIT_MAXIMA: limitList(MAX_LIMITS, 'REMCODE_LIMIT_MAXIMA'),
  REMCODE_RETENTION: duration('7d'),
  REMCODE_SWEEP_INTERVAL: duration('30s'),
  REMCODE_IDEMPOTENCY_WINDOW: duration('24h'),
  REMCODE_PISTON: onOff('on'),
  REMCODE_JUDGE0_PREFIX: readAs(
    Type.String({
      pattern: '^\\s*(off|/|(/[A-Za-z0-9_.-]+)+)\\s*$',
      default: '/judge0',
      expected: 'must be a path like /judge0, / or off',
    }),
    (text) => {
      const prefix = text.trim();
      return prefix === 'off' ? null : prefix === '/' ? '' : prefix;
    },
  ),
  REMCODE_JUDGE0_CALLBACK_HOSTS: readAs(Type.String({ default: '' }), callbackHosts),
  REMCODE_JUDGE0_CALLBACK_PRIVATE: onOff('off'),
  REMCODE_JUDGE0_AUTHZ_TOKEN_FILE: secretFile(),
  REMCODE_JUDGE0_AUTHZ_TOKEN: Type.String({ default: '' }),
  REMCODE_JUDGE0_DELETE: onOff('off'),
});

function callbackHosts(text: string): readonly string[] {
  const hosts = text
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter((host) => host !== '');
  const bad = hosts.find((host) => !/^(\*\.)?[a-z0-9.-]+$|^\[[0-9a-f:.]+\]$/.test(host));
  if (bad !== undefined) throw new InvalidValue(`names "${bad}", which is not a host name`);
  return hosts;
}

export function parseWebappConfig(env: Env = process.env): WebappConfig {
  const values = decodeEnv(WebappEnv, env);
  const authzTokens =
    readSecretFile('REMCODE_JUDGE0_AUTHZ_TOKEN_FILE', values.REMCODE_JUDGE0_AUTHZ_TOKEN_FILE) ??
    values.REMCODE_JUDGE0_AUTHZ_TOKEN;
  return {
    ...commonConfig(values),
    port: values.PORT,
    host: values.HOST,
    waitTimeoutMs: values.REMCODE_WAIT_TIMEOUT,
    drainDelayMs: values.REMCODE_DRAIN_DELAY,
    maxBodyBytes: values.REMCODE_MAX_BODY,
    maxFileBytes: values.REMCODE_MAX_FILE,
    queueMax: values.REMCODE_QUEUE_MAX,
    auth: values.REMCODE_AUTH,
    rateLimitPerMinute: values.REMCODE_RATE_LIMIT,
    limitDefaults: values.REMCODE_LIMIT_DEFAULTS ?? DEFAULT_LIMITS,
    limitMaxima: values.REMCODE_LIMIT_MAXIMA ?? MAX_LIMITS,
    retentionMs: values.REMCODE_RETENTION,
    sweepIntervalMs: values.REMCODE_SWEEP_INTERVAL,
    idempotencyWindowMs: values.REMCODE_IDEMPOTENCY_WINDOW,
    compat: {
      piston: values.REMCODE_PISTON,
      judge0Prefix: values.REMCODE_JUDGE0_PREFIX,
      judge0CallbackHosts: values.REMCODE_JUDGE0_CALLBACK_HOSTS,
      judge0CallbackPrivate: values.REMCODE_JUDGE0_CALLBACK_PRIVATE,
      // Several tokens separated by blanks, as Judge0 reads its AUTHZ_TOKEN, so one can be rotated out.
      judge0AuthzTokens: authzTokens.split(/\s+/).filter((token) => token !== ''),
      judge0Delete: values.REMCODE_JUDGE0_DELETE,
    },
  };
}

const LANGUAGE_ID = '[a-z][a-z0-9_-]*';

const ExecutorEnv = Type.Object({
  ...CommonEnv.properties,
  /** Default: one slot per core. */
  EXECUTOR_SLOTS: Type.Optional(wholeNumber(1, 1024)),
  /** Default: as many as slots. */
  EXECUTOR_STANDBY_SLOTS: Type.Optional(wholeNumber(0, 1024)),
  EXECUTOR_METRICS_PORT: wholeNumber(0, 65535, 9101),
  EXECUTOR_METRICS_HOST: Type.Optional(Type.String({ emptyIsUnset: true })),
  EXECUTOR_METRICS_SUBNET: Type.Optional(
    readAs(Type.String({ emptyIsUnset: true }), (text) => {
      try {
        return parseSubnet(text);
      } catch (error) {
        if (error instanceof InvalidSubnet) throw new InvalidValue(error.message);
        throw error;
      }
    }),
  ),
  EXECUTOR_SHUTDOWN_GRACE: duration('25s'),
  EXECUTOR_LOCK_DURATION: duration('30s'),
  EXECUTOR_COMPILE_CACHE: size('256MiB'),
  REMCODE_CATALOGUE: Type.Optional(Type.String({ emptyIsUnset: true })),
  /** Default: the host name and the process id. */
  EXECUTOR_ID: Type.Optional(Type.String({ emptyIsUnset: true })),
  EXECUTOR_WARM: readAs(
    Type.String({
      pattern: '^\\s*([a-z][a-z0-9]*)?\\s*$',
      default: 'python',
      expected: 'must be a language id or "off"',
    }),
    (text) => {
      const id = text.trim();
      return id === '' || id === 'off' ? null : id;
    },
  ),
  EXECUTOR_ALLOW_UNCAPPED_SWAP: onOff('off'),
  EXECUTOR_POOL: readAs(
    Type.String({
      // POOL_NAME without its anchors, blanks around it allowed; blank means the default pool.
      pattern: `^\\s*(${POOL_NAME.source.slice(1, -1)})?\\s*$`,
      default: DEFAULT_POOL,
      expected: 'must be lower-case letters, digits, - and _ (at most 63)',
    }),
    (text) => text.trim() || DEFAULT_POOL,
  ),
  EXECUTOR_LANGUAGES: Type.Optional(
    readAs(
      Type.String({
        pattern: `^\\s*(${LANGUAGE_ID}\\s*(,\\s*${LANGUAGE_ID}\\s*)*)?$`,
        emptyIsUnset: true,
        expected: 'must be language ids separated by commas',
      }),
      (text) => (text.trim() === '' ? undefined : [...new Set(text.split(',').map((id) => id.trim()))]),
    ),
  ),
});

export function parseExecutorConfig(env: Env = process.env): ExecutorConfig {
  const values = decodeEnv(ExecutorEnv, env);
  const slots = values.EXECUTOR_SLOTS ?? os.availableParallelism();
  if (values.EXECUTOR_METRICS_HOST !== undefined && values.EXECUTOR_METRICS_SUBNET !== undefined) {
    throw new ConfigError(
      'EXECUTOR_METRICS_SUBNET',
      'EXECUTOR_METRICS_SUBNET: set it or EXECUTOR_METRICS_HOST, not both',
    );
  }
  return {
    ...commonConfig(values),
    slots,
    standbySlots: values.EXECUTOR_STANDBY_SLOTS ?? slots,
    metricsPort: values.EXECUTOR_METRICS_PORT,
    metricsHost: values.EXECUTOR_METRICS_HOST ?? '0.0.0.0',
    metricsSubnet: values.EXECUTOR_METRICS_SUBNET,
    shutdownGraceMs: values.EXECUTOR_SHUTDOWN_GRACE,
    lockDurationMs: values.EXECUTOR_LOCK_DURATION,
    compileCacheBytes: values.EXECUTOR_COMPILE_CACHE,
    catalogueFile: values.REMCODE_CATALOGUE,
    executorId: values.EXECUTOR_ID ?? `${os.hostname()}-${process.pid}`,
    warmLanguage: values.EXECUTOR_WARM,
    allowUncappedSwap: values.EXECUTOR_ALLOW_UNCAPPED_SWAP,
    pool: values.EXECUTOR_POOL,
    languages: values.EXECUTOR_LANGUAGES,
  };
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

const ControllerEnv = Type.Object({
  ...CommonEnv.properties,
  CONTROLLER_PORT: wholeNumber(0, 65535, 9102),
  CONTROLLER_HOST: Type.String({ default: '127.0.0.1' }),
  REMCODE_AUTOSCALE_REDIS: oneOf(['on', 'off'], 'on', 'must be on or off'),
  PROMETHEUS_URL: Type.Optional(url(['http:', 'https:'], { emptyIsUnset: true })),
  CONTROLLER_SOCKET: Type.Optional(
    readAs(
      Type.String({ pattern: '^/', emptyIsUnset: true, expected: 'must be an absolute path' }),
      (path) => {
        // sun_path holds 108 bytes with its terminator on Linux; a longer path fails only at listen time.
        if (Buffer.byteLength(path) > 107) throw new InvalidValue('must be at most 107 bytes long');
        return path;
      },
    ),
  ),
});

export function parseControllerConfig(env: Env = process.env): ControllerConfig {
  const values = decodeEnv(ControllerEnv, env);
  return {
    ...commonConfig(values),
    port: values.CONTROLLER_PORT,
    host: values.CONTROLLER_HOST,
    redisEnabled: values.REMCODE_AUTOSCALE_REDIS === 'on',
    prometheusUrl: values.PROMETHEUS_URL?.toString(),
    socket: values.CONTROLLER_SOCKET,
  };
}

/** `prepare-database`: the owner's connection and the passwords it gives the program roles. */
export interface MigrateConfig {
  /**
   * The owner's connection, password applied: REMCODE_OWNER_DATABASE_URL with
   * REMCODE_OWNER_DATABASE_PASSWORD_FILE when set (a process whose own DATABASE_URL names a program role
   * runs it first), else DATABASE_URL with DATABASE_PASSWORD_FILE.
   */
  readonly databaseUrl: string;
  readonly logLevel: LogLevel;
  /**
   * Passwords of the roles the migrations create (`remcode_webapp`, `remcode_executor`), from
   * REMCODE_WEBAPP_DATABASE_PASSWORD_FILE and REMCODE_EXECUTOR_DATABASE_PASSWORD_FILE; unset leaves a
   * role's password as it is (a server that trusts local connections needs none).
   */
  readonly rolePasswords: Readonly<Record<string, string>>;
}

const MigrateEnv = Type.Object({
  ...CommonEnv.properties,
  REMCODE_OWNER_DATABASE_URL: Type.Optional(url(['postgres:', 'postgresql:'], { emptyIsUnset: true })),
  REMCODE_OWNER_DATABASE_PASSWORD_FILE: secretFile(),
  REMCODE_WEBAPP_DATABASE_PASSWORD_FILE: secretFile(),
  REMCODE_EXECUTOR_DATABASE_PASSWORD_FILE: secretFile(),
});

export function parseMigrateConfig(env: Env = process.env): MigrateConfig {
  const values = decodeEnv(MigrateEnv, env);
  const common = commonConfig(values);
  const { logLevel } = common;
  let databaseUrl = common.databaseUrl;
  const owner = values.REMCODE_OWNER_DATABASE_URL;
  if (owner === undefined && values.REMCODE_OWNER_DATABASE_PASSWORD_FILE !== undefined) {
    // Without it the password would go with DATABASE_URL, which names another role here.
    throw new ConfigError(
      'REMCODE_OWNER_DATABASE_PASSWORD_FILE',
      'REMCODE_OWNER_DATABASE_PASSWORD_FILE: set REMCODE_OWNER_DATABASE_URL as well, naming the owner',
    );
  }
  if (owner !== undefined) {
    const password = readSecretFile(
      'REMCODE_OWNER_DATABASE_PASSWORD_FILE',
      values.REMCODE_OWNER_DATABASE_PASSWORD_FILE,
    );
    if (password === '')
      throw new ConfigError(
        'REMCODE_OWNER_DATABASE_PASSWORD_FILE',
        'REMCODE_OWNER_DATABASE_PASSWORD_FILE: the file is empty',
      );
    if (password !== undefined) owner.password = encodeURIComponent(password);
    databaseUrl = owner.toString();
  }
  const rolePasswords: Record<string, string> = {};
  for (const [role, variable] of [
    ['remcode_webapp', 'REMCODE_WEBAPP_DATABASE_PASSWORD_FILE'],
    ['remcode_executor', 'REMCODE_EXECUTOR_DATABASE_PASSWORD_FILE'],
  ] as const) {
    const password = readSecretFile(variable, values[variable]);
    if (password === '') throw new ConfigError(variable, `${variable}: the file is empty`);
    if (password !== undefined) rolePasswords[role] = password;
  }
  return { databaseUrl, logLevel, rolePasswords };
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
