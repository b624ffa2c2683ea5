import type { SubmissionLimits } from '../../common/limits.js';
import type { RunLimits } from '../sandbox/types.js';

const MiB = 1024 ** 2;

/**
 * The sandbox limits of a run: the submission's six limits plus the ones the API does not expose. The
 * judge applies the language's adjustments on top (a JVM needs more memory and threads than asked for).
 */
export function runLimits(limits: SubmissionLimits): RunLimits {
  return {
    ...limits,
    openFiles: 256,
    // The stack and /tmp are charged to the memory limit anyway; these only stop one of them taking it all.
    stackBytes: Math.min(limits.memoryBytes, 256 * MiB),
    tmpBytes: Math.min(limits.memoryBytes, 64 * MiB),
  };
}
