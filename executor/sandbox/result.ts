import { constants } from 'node:os';
import { EndKind, KillReason, type DoneFrame } from './protocol.js';
import type { RunResult } from './types.js';

// Several names share a number (SIGIOT is SIGABRT, SIGPOLL is SIGIO); the first listed is the usual one.
const signalNames = new Map<number, string>();
for (const [name, num] of Object.entries(constants.signals))
  if (!signalNames.has(num)) signalNames.set(num, name);
const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, num]) => [num, name]));

const SIGXCPU = constants.signals.SIGXCPU;

export interface RunFacts {
  readonly argv0: string;
  readonly cwd: string;
  readonly cpuLimitMs: number;
}

function describeErrno(code: number): string {
  const name = errnoNames.get(code) ?? `errno ${code}`;
  return name === 'ENOENT' ? 'no such file' : name === 'EACCES' ? 'permission denied' : name;
}

/**
 * Turns the helper's raw facts into a verdict. Order matters: the helper's own reasons for ending a run
 * come first (they are certain), then the kernel's OOM count (a killed child is still a memory verdict),
 * then how the main process ended.
 */
export function toRunResult(done: DoneFrame, run: RunFacts, stdout: Buffer, stderr: Buffer): RunResult {
  // When the helper ends a run it kills the box's pid 1, and every process dies of SIGKILL before the
  // program could be reported as ended.
  const killedByHelper =
    done.endKind === EndKind.unknown &&
    done.killReason !== KillReason.none &&
    done.killReason !== KillReason.internal;
  const base = {
    cpuTimeMs: Number(done.cpuNs / 1000n) / 1000,
    wallTimeMs: Number(done.wallNs / 1000n) / 1000,
    memoryBytes: Number(done.memoryBytes),
    stdout,
    stderr,
    stdoutTruncated: done.stdoutTruncated,
    stderrTruncated: done.stderrTruncated,
    warmStart: done.warmStart,
    exitCode: done.endKind === EndKind.exited ? done.endCode : null,
    signal:
      done.endKind === EndKind.signaled
        ? (signalNames.get(done.endCode) ?? `SIG${done.endCode}`)
        : killedByHelper
          ? 'SIGKILL'
          : null,
  };
  const verdict = (
    v: RunResult['verdict'],
    timeLimit: RunResult['timeLimit'] = null,
    error: string | null = null,
  ) => ({ ...base, verdict: v, timeLimit, error }) satisfies RunResult;

  switch (done.killReason) {
    case KillReason.internal:
      return verdict('internal_error', null, done.message ?? 'the sandbox failed');
    case KillReason.cancel:
      return verdict('internal_error', null, 'cancelled');
    case KillReason.output:
      return verdict('output_limit_exceeded');
    case KillReason.cpu:
      return verdict('time_limit_exceeded', 'cpu');
    case KillReason.wall:
      return verdict('time_limit_exceeded', 'wall');
    default:
      break;
  }
  if (done.endKind === EndKind.execFailed) {
    return verdict('internal_error', null, `cannot execute '${run.argv0}': ${describeErrno(done.endCode)}`);
  }
  if (done.endKind === EndKind.cwdFailed) {
    const name = errnoNames.get(done.endCode);
    const why =
      name === 'ELOOP' || name === 'EXDEV'
        ? 'it is or passes through a symbolic link'
        : describeErrno(done.endCode);
    return verdict('internal_error', null, `cannot enter the working directory '${run.cwd}': ${why}`);
  }
  if (done.oomKills > 0n) return verdict('memory_limit_exceeded');
  // SIGXCPU is the per-process CPU backstop only when the CPU was really spent: a program can also send
  // it to itself.
  if (done.endKind === EndKind.signaled && done.endCode === SIGXCPU && base.cpuTimeMs >= run.cpuLimitMs) {
    return verdict('time_limit_exceeded', 'cpu');
  }
  if (done.endKind === EndKind.signaled) return verdict('runtime_error');
  if (done.endKind === EndKind.exited && done.endCode !== 0) return verdict('runtime_error');
  if (done.endKind === EndKind.unknown) {
    return verdict('internal_error', null, done.message ?? 'the run ended without a status');
  }
  return verdict('ok');
}
