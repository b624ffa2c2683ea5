import { describe, expect, it } from 'vitest';
import type { InstalledLanguage } from '../languages/types.js';
import type {
  RunLimits,
  RunRequest,
  RunResult,
  Sandbox,
  Workspace,
  WorkspaceFile,
} from '../sandbox/types.js';
import { CompileCache } from './compile-cache.js';
import { judge, LanguageUnavailableError, testVerdict, type JudgeEvent } from './judge.js';

const limits: RunLimits = {
  cpuTimeMs: 1000,
  wallTimeMs: 2000,
  memoryBytes: 64 * 1024 ** 2,
  processes: 8,
  outputBytes: 1024,
  fileSizeBytes: 1024,
  openFiles: 64,
  stackBytes: 8 * 1024 ** 2,
  tmpBytes: 1024 ** 2,
};

function result(overrides: Partial<RunResult> = {}): RunResult {
  return {
    verdict: 'ok',
    timeLimit: null,
    exitCode: 0,
    signal: null,
    cpuTimeMs: 1,
    wallTimeMs: 1,
    memoryBytes: 1,
    stdout: Buffer.alloc(0),
    stderr: Buffer.alloc(0),
    stdoutTruncated: false,
    stderrTruncated: false,
    warmStart: false,
    error: null,
    ...overrides,
  };
}

const language = (overrides: Partial<InstalledLanguage> = {}): InstalledLanguage => ({
  id: 'toy',
  name: 'Toy',
  aliases: [],
  sourceFile: 'main.toy',
  compile: null,
  run: ['toy', '{source}', '{args...}'],
  version: { argv: ['toy'], pattern: '(1)' },
  packages: ['toy'],
  env: { TOY_MODE: 'strict' },
  limitAdjust: { processes: { min: 32 } },
  compileLimits: { cpuTimeMs: 9000 },
  editorMode: 'toy',
  starter: '',
  starterStdin: '',
  supportFiles: [],
  warm: null,
  available: true,
  installedVersion: '1.0',
  unavailableReason: null,
  ...overrides,
});

/**
 * A scripted stand-in for the sandbox: `respond` decides each run's result from its request, and every
 * call is recorded so tests can check what the judge asked for.
 */
class FakeSandbox implements Sandbox {
  readonly info = { cgroup: 'v1' as const, slots: 1, standby: 0 };
  readonly runs: RunRequest[] = [];
  readonly written: WorkspaceFile[][] = [];
  released = 0;
  constructor(readonly respond: (request: RunRequest, index: number) => RunResult | Promise<RunResult>) {}

  acquire(): Promise<Workspace> {
    const files: WorkspaceFile[] = [];
    const workspace: Workspace = {
      writeFiles: (placed) => {
        this.written.push([...placed]);
        files.push(...placed);
        return Promise.resolve();
      },
      run: async (request) => {
        this.runs.push(request);
        request.onStart?.();
        const reply = await this.respond(request, this.runs.length - 1);
        if (request.argv[0] === 'toyc' && reply.verdict === 'ok')
          files.push({ path: 'main.bin', content: Buffer.from('bin'), mode: 0o755 });
        if (reply.stdout.length > 0) request.onOutput?.('stdout', reply.stdout);
        return reply;
      },
      snapshot: () => Promise.resolve([...files]),
      release: () => {
        this.released += 1;
        return Promise.resolve();
      },
    };
    return Promise.resolve(workspace);
  }
  busySlots(): number {
    return 0;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const file = (path: string, text: string): WorkspaceFile => ({ path, content: Buffer.from(text) });
const tests = (...pairs: [string, string | null][]) =>
  pairs.map(([stdin, expected]) => ({
    stdin: Buffer.from(stdin),
    expectedOutput: expected === null ? null : Buffer.from(expected),
  }));

describe('testVerdict', () => {
  it.each<[string, Partial<RunResult>, string | null, string]>([
    ['a clean exit without expected output', {}, null, 'accepted'],
    ['matching output', { stdout: Buffer.from('4\n') }, '4', 'accepted'],
    ['different output', { stdout: Buffer.from('5\n') }, '4', 'wrong_answer'],
    ['a non-zero exit', { exitCode: 3 }, null, 'runtime_error'],
    ['a fatal signal', { exitCode: null, signal: 'SIGSEGV' }, null, 'runtime_error'],
    [
      'a sandbox runtime error',
      { verdict: 'runtime_error', exitCode: null, signal: 'SIGSYS' },
      null,
      'runtime_error',
    ],
    ['a time limit', { verdict: 'time_limit_exceeded', timeLimit: 'cpu' }, '4', 'time_limit_exceeded'],
    ['a memory limit', { verdict: 'memory_limit_exceeded' }, null, 'memory_limit_exceeded'],
    ['an output limit', { verdict: 'output_limit_exceeded' }, null, 'output_limit_exceeded'],
    ['a sandbox failure', { verdict: 'internal_error' }, null, 'internal_error'],
  ])('maps %s', (_name, overrides, expected, verdict) => {
    expect(testVerdict(result(overrides), expected === null ? null : Buffer.from(expected))).toBe(verdict);
  });
});

describe('judge', () => {
  it('runs an interpreted program once per test with adjusted limits and a clean environment', async () => {
    const sandbox = new FakeSandbox((request) =>
      result({ stdout: Buffer.from(request.stdin ?? new Uint8Array()) }),
    );
    const outcome = await judge(sandbox, {
      language: language(),
      files: [file('solve.toy', 'x')],
      args: ['a b', '--c'],
      compilerArgs: [],
      limits,
      tests: tests(['1\n', '1'], ['2\n', '2']),
    });
    expect(outcome.verdict).toBe('accepted');
    expect(outcome.compile).toBeNull();
    expect(outcome.tests.map((t) => t.verdict)).toEqual(['accepted', 'accepted']);
    expect(sandbox.runs).toHaveLength(2);
    expect(sandbox.runs[0]?.argv).toEqual(['toy', 'solve.toy', 'a b', '--c']);
    expect(sandbox.runs[0]?.env).toEqual({
      TOY_MODE: 'strict',
      PATH: '/usr/bin:/bin',
      HOME: '/tmp',
      LANG: 'C.UTF-8',
    });
    expect(sandbox.runs[0]?.limits).toEqual({ ...limits, processes: 32 });
    expect(sandbox.released).toBe(1);
  });

  it('reports the first non-accepted test as the verdict and still runs the rest', async () => {
    const answers = ['1', 'wrong', 'boom', '4'];
    const sandbox = new FakeSandbox((_request, index) =>
      index === 2 ? result({ exitCode: 1 }) : result({ stdout: Buffer.from(answers[index]!) }),
    );
    const outcome = await judge(sandbox, {
      language: language(),
      files: [file('main.toy', 'x')],
      args: [],
      compilerArgs: [],
      limits,
      tests: tests(['', '1'], ['', '2'], ['', '3'], ['', '4']),
    });
    expect(outcome.tests.map((t) => t.verdict)).toEqual([
      'accepted',
      'wrong_answer',
      'runtime_error',
      'accepted',
    ]);
    expect(outcome.verdict).toBe('wrong_answer');
  });

  it('runs once with empty stdin when no test case is given', async () => {
    const sandbox = new FakeSandbox(() => result());
    const outcome = await judge(sandbox, {
      language: language(),
      files: [file('main.toy', '')],
      args: [],
      compilerArgs: [],
      limits,
      tests: [],
    });
    expect(outcome.verdict).toBe('accepted');
    expect(sandbox.runs[0]?.stdin).toEqual(new Uint8Array());
  });

  const compiled = language({
    compile: ['toyc', '-o', 'main.bin', '{compiler_args...}', '{sources...}'],
    run: ['./main.bin', '{args...}'],
    supportFiles: [
      { path: 'prelude.toy', content: 'support' },
      { path: 'lib.toy', content: 'support version' },
    ],
  });

  it('compiles once with the entry first among same-extension sources, then runs every test', async () => {
    const sandbox = new FakeSandbox(() => result({ stdout: Buffer.from('ok') }));
    const events: JudgeEvent[] = [];
    const outcome = await judge(sandbox, {
      language: compiled,
      files: [file('main.toy', 'm'), file('data.txt', 'd'), file('lib.toy', 'user version')],
      args: [],
      compilerArgs: ['-W'],
      limits,
      tests: tests(['', 'ok'], ['', 'ok']),
      onEvent: (event) => events.push(event),
    });
    expect(outcome.verdict).toBe('accepted');
    expect(sandbox.runs[0]?.argv).toEqual([
      'toyc',
      '-o',
      'main.bin',
      '-W',
      'main.toy',
      'lib.toy',
      'prelude.toy',
    ]);
    expect(sandbox.runs[0]?.limits.cpuTimeMs).toBe(9000);
    expect(sandbox.runs.slice(1).map((r) => r.argv)).toEqual([['./main.bin'], ['./main.bin']]);
    const placed = sandbox.written[0]!;
    expect(placed.map((f) => f.path)).toEqual(['main.toy', 'data.txt', 'lib.toy', 'prelude.toy']);
    expect(Buffer.from(placed[2]!.content).toString()).toBe('user version');
    expect(events.map((e) => (e.type === 'output' ? `output:${e.test}:${e.stream}` : e.type))).toEqual([
      'compiling',
      'running',
      'output:0:stdout',
      'running',
      'output:1:stdout',
    ]);
  });

  it('stops at a failed compile with compile_error and the compiler output', async () => {
    const sandbox = new FakeSandbox(() => result({ exitCode: 1, stderr: Buffer.from('main.toy:1: error') }));
    const outcome = await judge(sandbox, {
      language: compiled,
      files: [file('main.toy', 'bad')],
      args: [],
      compilerArgs: [],
      limits,
      tests: tests(['', 'x']),
    });
    expect(outcome.verdict).toBe('compile_error');
    expect(outcome.compile?.stderr.toString()).toBe('main.toy:1: error');
    expect(outcome.tests).toEqual([]);
    expect(sandbox.runs).toHaveLength(1);
  });

  it('reports a compiler killed by its time limit as compile_error and a sandbox failure as internal_error', async () => {
    const run = (verdict: RunResult['verdict']) =>
      judge(new FakeSandbox(() => result({ verdict, exitCode: null, signal: 'SIGKILL' })), {
        language: compiled,
        files: [file('main.toy', '')],
        args: [],
        compilerArgs: [],
        limits,
        tests: [],
      });
    expect((await run('time_limit_exceeded')).verdict).toBe('compile_error');
    expect((await run('internal_error')).verdict).toBe('internal_error');
  });

  it('serves an identical second compile from the cache without running the compiler', async () => {
    const cache = new CompileCache({ maxBytes: 1024 ** 2 });
    const request = {
      language: compiled,
      files: [file('main.toy', 'm')],
      args: [],
      compilerArgs: [],
      limits,
      tests: tests(['', 'ok']),
    };
    const first = new FakeSandbox(() => result({ stdout: Buffer.from('ok') }));
    const firstOutcome = await judge(first, request, { cache });
    const second = new FakeSandbox(() => result({ stdout: Buffer.from('ok') }));
    const secondOutcome = await judge(second, request, { cache });
    expect(second.runs.map((r) => r.argv[0])).toEqual(['./main.bin']);
    expect(second.written[0]?.map((f) => f.path)).toContain('main.bin');
    expect(secondOutcome.compile).toBe(firstOutcome.compile);
    expect(secondOutcome.verdict).toBe('accepted');
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, entries: 1 });

    const changed = new FakeSandbox(() => result({ stdout: Buffer.from('ok') }));
    await judge(changed, { ...request, compilerArgs: ['-O'] }, { cache });
    expect(changed.runs[0]?.argv[0]).toBe('toyc');
  });

  it('does not cache a failed compile', async () => {
    const cache = new CompileCache({ maxBytes: 1024 ** 2 });
    const sandbox = new FakeSandbox(() => result({ exitCode: 1 }));
    const request = {
      language: compiled,
      files: [file('main.toy', 'bad')],
      args: [],
      compilerArgs: [],
      limits,
      tests: [],
    };
    await judge(sandbox, request, { cache });
    await judge(sandbox, request, { cache });
    expect(sandbox.runs).toHaveLength(2);
    expect(cache.stats().entries).toBe(0);
  });

  it('skips the remaining tests once aborted', async () => {
    const controller = new AbortController();
    const sandbox = new FakeSandbox(() => {
      controller.abort();
      return result({ verdict: 'internal_error', exitCode: null, error: 'cancelled' });
    });
    const outcome = await judge(sandbox, {
      language: language(),
      files: [file('main.toy', '')],
      args: [],
      compilerArgs: [],
      limits,
      tests: tests(['', null], ['', null]),
      signal: controller.signal,
    });
    expect(sandbox.runs).toHaveLength(1);
    expect(outcome.verdict).toBe('internal_error');
  });

  it('releases the workspace when a run throws', async () => {
    const sandbox = new FakeSandbox(() => Promise.reject(new Error('helper died')));
    await expect(
      judge(sandbox, {
        language: language(),
        files: [file('main.toy', '')],
        args: [],
        compilerArgs: [],
        limits,
        tests: [],
      }),
    ).rejects.toThrow('helper died');
    expect(sandbox.released).toBe(1);
  });

  it('refuses a language that is not installed', async () => {
    const sandbox = new FakeSandbox(() => result());
    await expect(
      judge(sandbox, {
        language: language({ available: false, unavailableReason: 'toy is not installed' }),
        files: [file('main.toy', '')],
        args: [],
        compilerArgs: [],
        limits,
        tests: [],
      }),
    ).rejects.toBeInstanceOf(LanguageUnavailableError);
  });
});
