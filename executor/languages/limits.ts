/**
 * How a language changes the limits a run gets. A submission's limits are what the user asked for; some
 * runtimes cannot even start inside small ones (a JVM maps hundreds of MiB and starts a dozen threads),
 * so the catalogue raises them per language. Compile steps use their own, fixed limits: a compiler's
 * needs do not depend on the program's, and users never pay compile time out of their run limits.
 */
import type { RunLimits } from '../sandbox/types.js';
import type { LanguageDefinition } from './types.js';

const MiB = 1024 ** 2;

/** Compile-step limits every language starts from; the catalogue's `compileLimits` override fields. */
export const DEFAULT_COMPILE_LIMITS: RunLimits = {
  cpuTimeMs: 10_000,
  wallTimeMs: 20_000,
  memoryBytes: 512 * MiB,
  processes: 64,
  outputBytes: 256 * 1024,
  fileSizeBytes: 64 * MiB,
  openFiles: 256,
  stackBytes: 64 * MiB,
  tmpBytes: 256 * MiB,
};

export const RUN_LIMIT_KEYS: readonly (keyof RunLimits)[] = Object.keys(
  DEFAULT_COMPILE_LIMITS,
) as (keyof RunLimits)[];

/** Applies the language's adjustments: each field becomes max(min, value × factor), rounded up. */
export function adjustLimits(
  language: Pick<LanguageDefinition, 'limitAdjust'>,
  limits: RunLimits,
): RunLimits {
  const out: Record<keyof RunLimits, number> = { ...limits };
  for (const key of RUN_LIMIT_KEYS) {
    const adjust = language.limitAdjust[key];
    if (!adjust) continue;
    let value = limits[key] * (adjust.factor ?? 1);
    if (adjust.min !== undefined) value = Math.max(value, adjust.min);
    out[key] = Math.ceil(value);
  }
  return out;
}

/** The limits of a language's compile step. */
export function compileLimits(language: Pick<LanguageDefinition, 'compileLimits'>): RunLimits {
  return { ...DEFAULT_COMPILE_LIMITS, ...language.compileLimits };
}

/** The limits a submission carries (see common/limits.ts) completed with the sandbox-only fields. */
export interface SubmissionRunLimits {
  readonly cpuTimeMs: number;
  readonly wallTimeMs: number;
  readonly memoryBytes: number;
  readonly processes: number;
  readonly outputBytes: number;
  readonly fileSizeBytes: number;
}

/** Defaults of the run limits a submission cannot set. */
export const RUN_ONLY_DEFAULTS = {
  openFiles: 256,
  tmpBytes: 64 * MiB,
} as const;

/**
 * Completes a submission's limits into the sandbox's: the stack may grow to the memory limit (deep
 * recursion is legitimate in judged programs and every stack page is charged to the memory cgroup anyway).
 */
export function toRunLimits(limits: SubmissionRunLimits): RunLimits {
  return {
    cpuTimeMs: limits.cpuTimeMs,
    wallTimeMs: limits.wallTimeMs,
    memoryBytes: limits.memoryBytes,
    processes: limits.processes,
    outputBytes: limits.outputBytes,
    fileSizeBytes: limits.fileSizeBytes,
    openFiles: RUN_ONLY_DEFAULTS.openFiles,
    stackBytes: limits.memoryBytes,
    tmpBytes: RUN_ONLY_DEFAULTS.tmpBytes,
  };
}
