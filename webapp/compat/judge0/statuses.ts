import { constants } from 'node:os';
import type { StoredRun } from '../../../common/submission-schema.js';
import type { Submission } from '../../../common/submission.js';

/** Judge0 CE's statuses, ids 1 to 14, with its own descriptions. */
export const JUDGE0_STATUSES = [
  { id: 1, description: 'In Queue' },
  { id: 2, description: 'Processing' },
  { id: 3, description: 'Accepted' },
  { id: 4, description: 'Wrong Answer' },
  { id: 5, description: 'Time Limit Exceeded' },
  { id: 6, description: 'Compilation Error' },
  { id: 7, description: 'Runtime Error (SIGSEGV)' },
  { id: 8, description: 'Runtime Error (SIGXFSZ)' },
  { id: 9, description: 'Runtime Error (SIGFPE)' },
  { id: 10, description: 'Runtime Error (SIGABRT)' },
  { id: 11, description: 'Runtime Error (NZEC)' },
  { id: 12, description: 'Runtime Error (Other)' },
  { id: 13, description: 'Internal Error' },
  { id: 14, description: 'Exec Format Error' },
] as const;

export type Judge0StatusId = (typeof JUDGE0_STATUSES)[number]['id'];

export function status(id: Judge0StatusId): { id: Judge0StatusId; description: string } {
  return { id, description: JUDGE0_STATUSES[id - 1]!.description };
}

/** What Judge0 reports about how a run ended, besides the output. */
export interface Judge0Outcome {
  readonly statusId: Judge0StatusId;
  /** Judge0's `message`: why a run failed, in words. */
  readonly message: string | null;
  readonly exitCode: number | null;
  readonly exitSignal: number | null;
  /** The run whose output and usage the answer shows; null while queued or when nothing ran. */
  readonly run: StoredRun | null;
}

const BY_SIGNAL: Readonly<Record<string, Judge0StatusId>> = {
  SIGSEGV: 7,
  SIGXFSZ: 8,
  SIGFPE: 9,
  SIGABRT: 10,
};

function signalNumber(name: string | null): number | null {
  if (name === null) return null;
  return (constants.signals as Record<string, number | undefined>)[name] ?? null;
}

/**
 * RemCode's verdict as a Judge0 status. Judge0 has no memory verdict: a run over its memory limit is
 * "Runtime Error (Other)" with the message saying so (Judge0's own runs die the same way, killed); a
 * run over the output limit is SIGXFSZ, which is how Judge0's file-size limit on stdout ends a run.
 */
export function outcomeOf(s: Submission): Judge0Outcome {
  if (s.state === 'queued')
    return { statusId: 1, message: null, exitCode: null, exitSignal: null, run: null };
  if (s.state === 'running')
    return { statusId: 2, message: null, exitCode: null, exitSignal: null, run: null };
  const result = s.result;
  if (s.state === 'cancelled' || !result)
    return { statusId: 13, message: 'The run was cancelled', exitCode: null, exitSignal: null, run: null };
  if (result.verdict === 'compile_error') {
    const compile = result.compile;
    return {
      statusId: 6,
      message: compile?.verdict === 'time_limit_exceeded' ? 'Compilation time limit exceeded' : null,
      exitCode: compile?.exitCode ?? null,
      exitSignal: signalNumber(compile?.signal ?? null),
      run: null,
    };
  }
  // The first test that was not accepted decides, as RemCode's own verdict does.
  const test = result.tests.find((t) => t.verdict === result.verdict) ?? result.tests[0];
  const run = test?.run ?? null;
  const exitCode = run?.exitCode ?? null;
  const exitSignal = signalNumber(run?.signal ?? null);
  const ended = (statusId: Judge0StatusId, message: string | null): Judge0Outcome => ({
    statusId,
    message,
    exitCode,
    exitSignal,
    run,
  });
  switch (result.verdict) {
    case 'accepted':
      return ended(3, null);
    case 'wrong_answer':
      return ended(4, null);
    case 'time_limit_exceeded':
      return ended(5, run?.timeLimit === 'wall' ? 'Wall time limit exceeded' : 'Time limit exceeded');
    case 'memory_limit_exceeded':
      return ended(12, 'Memory limit exceeded');
    case 'output_limit_exceeded':
      return ended(8, 'Output limit exceeded');
    case 'runtime_error': {
      if (run?.signal)
        return ended(BY_SIGNAL[run.signal] ?? 12, `Caught fatal signal ${exitSignal ?? run.signal}`);
      return ended(11, `Exited with error status ${exitCode ?? 'unknown'}`);
    }
    case 'internal_error':
      return ended(13, result.error ?? 'Internal error');
  }
}
