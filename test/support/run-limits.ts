import type { RunLimits } from '../../executor/sandbox/types.js';

export const MiB = 1024 * 1024;

/** Roomy limits for sandbox tests whose programs are not meant to hit any. */
export const TEST_RUN_LIMITS: RunLimits = {
  cpuTimeMs: 2000,
  wallTimeMs: 5000,
  memoryBytes: 128 * MiB,
  processes: 32,
  outputBytes: MiB,
  fileSizeBytes: 16 * MiB,
  openFiles: 256,
  stackBytes: 8 * MiB,
  tmpBytes: 32 * MiB,
};
