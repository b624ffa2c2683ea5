/**
 * The limit set a submission carries, and how its human strings are read ("2s", "256MiB": see
 * `units.ts`).
 */
import { UnitParseError, parseBytes, parseDurationMs } from './units.js';

/** A limit that is not valid: an unknown name, an unreadable or too small value. */
export class LimitParseError extends UnitParseError {
  override readonly name = 'LimitParseError';
}

/** The limits a submission asks for, after defaults and clamping; the executor maps them onto the sandbox. */
export interface SubmissionLimits {
  readonly cpuTimeMs: number;
  readonly wallTimeMs: number;
  readonly memoryBytes: number;
  readonly processes: number;
  readonly outputBytes: number;
  readonly fileSizeBytes: number;
}

/** The API's names for the limits, mapped to the fields of `SubmissionLimits` and how each is parsed. */
export const LIMIT_FIELDS = {
  cpu_time: { key: 'cpuTimeMs', kind: 'time' },
  wall_time: { key: 'wallTimeMs', kind: 'time' },
  memory: { key: 'memoryBytes', kind: 'size' },
  processes: { key: 'processes', kind: 'count' },
  output: { key: 'outputBytes', kind: 'size' },
  file_size: { key: 'fileSizeBytes', kind: 'size' },
} as const satisfies Record<string, { key: keyof SubmissionLimits; kind: 'time' | 'size' | 'count' }>;

export type LimitName = keyof typeof LIMIT_FIELDS;

export const DEFAULT_LIMITS: SubmissionLimits = {
  cpuTimeMs: 2_000,
  wallTimeMs: 5_000,
  memoryBytes: 256 * 1024 ** 2,
  processes: 64,
  outputBytes: 1024 ** 2,
  fileSizeBytes: 16 * 1024 ** 2,
};

export const MAX_LIMITS: SubmissionLimits = {
  cpuTimeMs: 15_000,
  wallTimeMs: 30_000,
  memoryBytes: 1024 ** 3,
  processes: 256,
  outputBytes: 8 * 1024 ** 2,
  fileSizeBytes: 64 * 1024 ** 2,
};

/** Smallest values that still let a hello world start; below these a request is rejected, not clamped. */
const MIN_LIMITS: SubmissionLimits = {
  cpuTimeMs: 1,
  wallTimeMs: 1,
  memoryBytes: 1024 ** 2,
  processes: 1,
  outputBytes: 0,
  fileSizeBytes: 0,
};

function parseLimitValue(name: LimitName, value: unknown): number {
  const { kind } = LIMIT_FIELDS[name];
  try {
    if (kind === 'time') return parseDurationMs(value, name, '"2s" or "500ms"');
    if (kind === 'size') return parseBytes(value, name);
  } catch (error) {
    if (error instanceof UnitParseError) throw new LimitParseError(name, error.message, { cause: error });
    throw error;
  }
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) return Number(value);
  throw new LimitParseError(name, `${name} must be a whole number`);
}

/**
 * Resolves requested limits: unknown names and unreadable values are errors, missing ones take the
 * defaults, values above the operator's maxima are clamped to them.
 */
export function resolveLimits(
  requested: Readonly<Record<string, unknown>> | undefined,
  defaults: SubmissionLimits,
  maxima: SubmissionLimits,
): SubmissionLimits {
  const out: Record<keyof SubmissionLimits, number> = { ...defaults };
  for (const key of Object.keys(out) as (keyof SubmissionLimits)[])
    out[key] = Math.min(out[key], maxima[key]);
  for (const [name, value] of Object.entries(requested ?? {})) {
    if (!Object.hasOwn(LIMIT_FIELDS, name)) {
      throw new LimitParseError(
        name,
        `unknown limit "${name.slice(0, 40)}"; known: ${Object.keys(LIMIT_FIELDS).join(', ')}`,
      );
    }
    const field = LIMIT_FIELDS[name as LimitName];
    const parsed = parseLimitValue(name as LimitName, value);
    if (parsed < MIN_LIMITS[field.key]) throw new LimitParseError(name, `${name} is below the minimum`);
    out[field.key] = Math.min(parsed, maxima[field.key]);
  }
  return out;
}

/** Parses "cpu_time=2s,memory=256MiB" (operator configuration) over a base set. */
export function parseLimitList(text: string, base: SubmissionLimits, variable: string): SubmissionLimits {
  const requested: Record<string, string> = {};
  for (const item of text.split(',')) {
    if (item.trim() === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0) throw new LimitParseError(variable, `${variable}: "${item}" is not name=value`);
    requested[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  const huge: SubmissionLimits = {
    cpuTimeMs: Number.MAX_SAFE_INTEGER,
    wallTimeMs: Number.MAX_SAFE_INTEGER,
    memoryBytes: Number.MAX_SAFE_INTEGER,
    processes: Number.MAX_SAFE_INTEGER,
    outputBytes: Number.MAX_SAFE_INTEGER,
    fileSizeBytes: Number.MAX_SAFE_INTEGER,
  };
  return resolveLimits(requested, base, huge);
}
