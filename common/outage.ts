import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Failures of Redis and Postgres that pass: a restart, a failover, a full connection table. Each is named
 * by a stable class, so that the API answers 503 with a code a client can act on instead of a 500, and
 * so that a request can wait a little for the dependency to come back.
 */

export type Dependency = 'postgres' | 'redis';

export const OUTAGE_KINDS = [
  /** Nothing listens on the port, or the server refuses new sessions (starting, not accepting). */
  'refused',
  /** An open connection was cut: the server died or was restarted. */
  'reset',
  /** No answer in time: a stalled server or network. */
  'timeout',
  /** The host name does not resolve (yet): a task being rescheduled. */
  'dns',
  /** The server's connection table is full. */
  'too_many_clients',
  /** The server takes reads only: a replica, or a primary that cannot persist. */
  'read_only',
  /** The server is starting or loading its data. */
  'starting',
  /** The server announced it is shutting down. */
  'shutting_down',
  /** The client gave up reconnecting for this command. */
  'unreachable',
] as const;
export type OutageKind = (typeof OUTAGE_KINDS)[number];

/** A dependency failed in a way that passes; `code` is the API's problem code for it. */
export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';
  constructor(
    readonly dependency: Dependency | 'dependency',
    readonly kind: OutageKind,
    options?: ErrorOptions,
  ) {
    super(`${dependency} unavailable (${kind})`, options);
  }

  get code(): string {
    return `${this.dependency}_${this.kind}`;
  }
}

/** SQLSTATEs that say the server, not the statement, is the trouble. */
const PG_STATES: Readonly<Record<string, OutageKind>> = {
  '53300': 'too_many_clients',
  '25006': 'read_only',
  '57P01': 'shutting_down',
  '57P02': 'shutting_down',
  '57P03': 'starting',
  // "database is not currently accepting connections" (ALLOW_CONNECTIONS false, a dump being restored).
  '55000': 'refused',
  '08000': 'reset',
  '08003': 'reset',
  '08006': 'reset',
  '08001': 'refused',
  '08004': 'refused',
};

const SYSCALL_CODES: Readonly<Record<string, OutageKind>> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  ETIMEDOUT: 'timeout',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
};

/** Reply prefixes of Redis errors that pass. */
const REDIS_REPLIES: readonly (readonly [RegExp, OutageKind])[] = [
  [/^READONLY\b/, 'read_only'],
  [/^MISCONF\b/, 'read_only'],
  [/^LOADING\b/, 'starting'],
  [/^MASTERDOWN\b/, 'refused'],
  [/^TRYAGAIN\b/, 'refused'],
  [/^ERR max number of clients reached/, 'too_many_clients'],
];

/** Messages of the two clients that carry no code. */
const MESSAGES: readonly (readonly [RegExp, OutageKind])[] = [
  [/too many clients|remaining connection slots are reserved/i, 'too_many_clients'],
  [
    /timeout exceeded when trying to connect|connection timeout|timeout expired|Query read timeout|Command timed out/i,
    'timeout',
  ],
  [/Connection terminated unexpectedly|Connection is closed|not queryable|Connection terminated/i, 'reset'],
  [/Reached the max retries per request|Stream isn't writeable/i, 'unreachable'],
  [/the database system is starting up|the database system is in recovery/i, 'starting'],
  [
    /the database system is shutting down|terminating connection due to administrator command/i,
    'shutting_down',
  ],
];

function own(table: Readonly<Record<string, OutageKind>>, key: unknown): OutageKind | undefined {
  return typeof key === 'string' && Object.hasOwn(table, key) ? table[key] : undefined;
}

/** The class of a passing dependency failure, or undefined for every other error (a bug, a bad statement). */
export function classifyOutage(error: unknown): OutageKind | undefined {
  if (error instanceof DependencyUnavailableError) return error.kind;
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  const byState = own(PG_STATES, code) ?? own(SYSCALL_CODES, code);
  if (byState !== undefined) return byState;
  // Classes 08 (connection exception) and 53 (insufficient resources) as a whole.
  if (typeof code === 'string' && /^08/.test(code)) return 'reset';
  if (code === '53000' || code === '53200') return 'too_many_clients';
  for (const [pattern, kind] of REDIS_REPLIES) if (pattern.test(error.message)) return kind;
  for (const [pattern, kind] of MESSAGES) if (pattern.test(error.message)) return kind;
  // AggregateError of a connect to several addresses (IPv4 and IPv6 of localhost).
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const kind = classifyOutage(inner);
      if (kind !== undefined) return kind;
    }
  }
  return error.cause === undefined ? undefined : classifyOutage(error.cause);
}

/** Which client threw it, when the error itself tells: pg's server errors carry a severity. */
export function guessDependency(error: unknown): Dependency | 'dependency' {
  if (error instanceof DependencyUnavailableError) return error.dependency;
  if (typeof error !== 'object' || error === null) return 'dependency';
  if ('severity' in error && 'code' in error) return 'postgres';
  const name = (error as { name?: unknown }).name;
  if (name === 'ReplyError' || name === 'MaxRetriesPerRequestError') return 'redis';
  const message = (error as { message?: unknown }).message;
  if (
    typeof message === 'string' &&
    /Command timed out|Connection is closed|Stream isn't writeable/.test(message)
  )
    return 'redis';
  if (typeof message === 'string' && /Connection terminated|not queryable|trying to connect/.test(message))
    return 'postgres';
  return 'dependency';
}

/** The unavailability an error stands for, or undefined when it is not a passing dependency failure. */
export function asUnavailable(
  error: unknown,
  dependency?: Dependency,
): DependencyUnavailableError | undefined {
  if (error instanceof DependencyUnavailableError) return error;
  const kind = classifyOutage(error);
  if (kind === undefined) return undefined;
  return new DependencyUnavailableError(dependency ?? guessDependency(error), kind, { cause: error });
}

export interface RideThroughOptions {
  /** How long the operation may keep failing before the outage is reported. 0: one attempt. */
  readonly budgetMs: number;
  /** Called before each wait, with the failure that caused it. */
  readonly onRetry?: (failure: DependencyUnavailableError) => void;
  /** Ends the waiting early (a client that hung up); the last failure is thrown. */
  readonly signal?: AbortSignal;
}

/** The first wait; it doubles up to `MAX_WAIT_MS`. Short, since most blips are a reconnect away. */
const FIRST_WAIT_MS = 50;
const MAX_WAIT_MS = 1_000;

/**
 * Runs `operation`, and again with backoff while it fails with a passing dependency failure, for up to
 * `budgetMs`; then throws DependencyUnavailableError. Every other error is thrown at once. The operation
 * must be safe to repeat: a statement whose answer was lost with its connection may have been applied.
 * An attempt already under way when the budget ends is awaited, so the worst case is the budget plus
 * one attempt's own timeout.
 */
export async function rideThrough<T>(
  dependency: Dependency,
  operation: () => Promise<T>,
  options: RideThroughOptions,
): Promise<T> {
  const deadline = Date.now() + options.budgetMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const failure = asUnavailable(error, dependency);
      if (failure === undefined) throw error;
      const base = Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** attempt);
      // Jitter keeps replicas that lost the same server from knocking on it in step.
      const wait = base / 2 + Math.random() * (base / 2);
      if (Date.now() + wait >= deadline || options.signal?.aborted) throw failure;
      options.onRetry?.(failure);
      try {
        await sleep(wait, undefined, options.signal ? { signal: options.signal } : {});
      } catch {
        throw failure;
      }
    }
  }
}
