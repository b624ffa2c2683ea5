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
