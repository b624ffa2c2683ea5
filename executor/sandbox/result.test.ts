import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { EndKind, KillReason, type DoneFrame } from './protocol.js';
import { toRunResult } from './result.js';

function done(partial: Partial<DoneFrame>): DoneFrame {
  return {
    endKind: EndKind.exited,
    endCode: 0,
    killReason: KillReason.none,
    cpuNs: 1_500_000n,
    wallNs: 2_250_000n,
    memoryBytes: 4096n,
    oomKills: 0n,
    stdoutTruncated: false,
    stderrTruncated: false,
    warmStart: false,
    message: null,
    ...partial,
  };
}

const RUN = { argv0: 'prog', cwd: '/box', cpuLimitMs: 1000 };
const none = Buffer.alloc(0);
const { SIGABRT, SIGKILL, SIGSEGV, SIGXCPU } = constants.signals;

describe('toRunResult', () => {
  it.each([
    ['a clean exit is ok', {}, 'ok', null],
    ['a non-zero exit is a runtime error', { endCode: 3 }, 'runtime_error', null],
    [
      'a crash by signal is a runtime error',
      { endKind: EndKind.signaled, endCode: SIGSEGV },
      'runtime_error',
      null,
    ],
    [
      'the CPU clock beats everything the process did',
      { killReason: KillReason.cpu, endKind: EndKind.unknown },
      'time_limit_exceeded',
      'cpu',
    ],
    [
      'the wall clock is reported as such',
      { killReason: KillReason.wall, endKind: EndKind.unknown },
      'time_limit_exceeded',
      'wall',
    ],
    [
      'SIGXCPU after the CPU was spent is a CPU time limit',
      { endKind: EndKind.signaled, endCode: SIGXCPU, cpuNs: 2_000_000_000n },
      'time_limit_exceeded',
      'cpu',
    ],
    [
      'SIGXCPU a program sent itself is only a runtime error',
      { endKind: EndKind.signaled, endCode: SIGXCPU },
      'runtime_error',
      null,
    ],
    [
      'an OOM kill is a memory verdict even when a child was the victim',
      { oomKills: 1n },
      'memory_limit_exceeded',
      null,
    ],
    [
      'an OOM kill of the main process is a memory verdict',
      { oomKills: 1n, endKind: EndKind.signaled, endCode: SIGKILL },
      'memory_limit_exceeded',
      null,
    ],
    [
      'too much output wins over the exit status',
      { killReason: KillReason.output, stdoutTruncated: true },
      'output_limit_exceeded',
      null,
    ],
    ['a cancel is an internal error saying so', { killReason: KillReason.cancel }, 'internal_error', null],
    ['an unreported end is an internal error', { endKind: EndKind.unknown }, 'internal_error', null],
  ] as const)('%s', (_name, partial, verdict, timeLimit) => {
    const r = toRunResult(done(partial), RUN, none, none);
    expect(r.verdict).toBe(verdict);
    expect(r.timeLimit).toBe(timeLimit);
  });

  it('names the signal and converts units', () => {
    const r = toRunResult(
      done({ endKind: EndKind.signaled, endCode: SIGSEGV }),
      RUN,
      Buffer.from('o'),
      Buffer.from('e'),
    );
    expect(r).toMatchObject({
      signal: 'SIGSEGV',
      exitCode: null,
      cpuTimeMs: 1.5,
      wallTimeMs: 2.25,
      memoryBytes: 4096,
    });
    expect(r.stdout.toString()).toBe('o');
  });

  it('uses the usual name of a signal that has aliases', () => {
    expect(toRunResult(done({ endKind: EndKind.signaled, endCode: SIGABRT }), RUN, none, none).signal).toBe(
      'SIGABRT',
    );
  });

  it('reports SIGKILL for a run the helper ended, and no signal for an internal failure', () => {
    const killed = toRunResult(
      done({ killReason: KillReason.wall, endKind: EndKind.unknown }),
      RUN,
      none,
      none,
    );
    expect(killed.signal).toBe('SIGKILL');
    const broken = toRunResult(
      done({ killReason: KillReason.internal, endKind: EndKind.unknown }),
      RUN,
      none,
      none,
    );
    expect(broken.signal).toBeNull();
  });

  it('explains an exec failure without leaking anything but the program name', () => {
    const r = toRunResult(
      done({ endKind: EndKind.execFailed, endCode: constants.errno.ENOENT }),
      { ...RUN, argv0: 'javac' },
      none,
      none,
    );
    expect(r.verdict).toBe('internal_error');
    expect(r.error).toBe("cannot execute 'javac': no such file");
  });

  it('explains a working directory that is a planted symlink', () => {
    const r = toRunResult(
      done({ endKind: EndKind.cwdFailed, endCode: constants.errno.ELOOP }),
      { ...RUN, cwd: '/box/x' },
      none,
      none,
    );
    expect(r.error).toBe(
      "cannot enter the working directory '/box/x': it is or passes through a symbolic link",
    );
  });
});
