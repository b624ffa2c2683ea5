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
    message: null,
    ...partial,
  };
}

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
      'SIGXCPU from the per-process backstop is a CPU time limit',
      { endKind: EndKind.signaled, endCode: SIGXCPU },
      'time_limit_exceeded',
      'cpu',
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
    const r = toRunResult(done(partial), 'prog', Buffer.alloc(0), Buffer.alloc(0));
    expect(r.verdict).toBe(verdict);
    expect(r.timeLimit).toBe(timeLimit);
  });

  it('names the signal and converts units', () => {
    const r = toRunResult(
      done({ endKind: EndKind.signaled, endCode: SIGSEGV }),
      'prog',
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
    const r = toRunResult(
      done({ endKind: EndKind.signaled, endCode: SIGABRT }),
      'prog',
      Buffer.alloc(0),
      Buffer.alloc(0),
    );
    expect(r.signal).toBe('SIGABRT');
  });

  it('explains an exec failure without leaking anything but the program name', () => {
    const r = toRunResult(
      done({ endKind: EndKind.execFailed, endCode: constants.errno.ENOENT }),
      'javac',
      Buffer.alloc(0),
      Buffer.alloc(0),
    );
    expect(r.verdict).toBe('internal_error');
    expect(r.error).toBe("cannot execute 'javac': no such file");
  });
});
