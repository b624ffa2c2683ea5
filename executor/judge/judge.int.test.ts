/**
 * The judge against the real sandbox and toolchains: test cases with accepted and wrong answers, limits,
 * multi-file compiles, live output events and compile cache hits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../common/limits.js';
import { loadCatalogue, type LanguageCatalogue } from '../languages/catalogue.js';
import { createSandbox } from '../sandbox/index.js';
import type { RunRequest, Sandbox } from '../sandbox/types.js';
import { CompileCache } from './compile-cache.js';
import { judge, type JudgeEvent, type JudgeRequest } from './judge.js';
import { runLimits } from '../languages/run-limits.js';

/** Wraps the real sandbox to record every argv it runs, so a test can prove a compiler did not run. */
function recording(inner: Sandbox): Sandbox & { argvs: string[][] } {
  const argvs: string[][] = [];
  return {
    argvs,
    info: inner.info,
    busySlots: () => inner.busySlots(),
    close: () => inner.close(),
    acquire: async (options, signal) => {
      const workspace = await inner.acquire(options, signal);
      return {
        writeFiles: (files) => workspace.writeFiles(files),
        snapshot: (maxBytes) => workspace.snapshot(maxBytes),
        release: () => workspace.release(),
        run: (request: RunRequest) => {
          argvs.push([...request.argv]);
          return workspace.run(request);
        },
      };
    },
  };
}

let sandbox: ReturnType<typeof recording>;
let catalogue: LanguageCatalogue;

beforeAll(async () => {
  const [inner, loaded] = await Promise.all([createSandbox({ slots: 1 }), loadCatalogue()]);
  sandbox = recording(inner);
  catalogue = loaded;
});

afterAll(async () => {
  await sandbox?.close();
});

const limits = runLimits({ ...DEFAULT_LIMITS, wallTimeMs: 15_000 });
const text = (value: string) => Buffer.from(value);

function request(
  id: string,
  files: Record<string, string>,
  overrides: Partial<JudgeRequest> = {},
): JudgeRequest {
  return {
    language: catalogue.resolve(id)!,
    files: Object.entries(files).map(([path, content]) => ({ path, content: text(content) })),
    args: [],
    compilerArgs: [],
    limits,
    tests: [{ stdin: new Uint8Array(), expectedOutput: null }],
    ...overrides,
  };
}

const SUM_PY = 'a, b = map(int, input().split())\nprint(a + b)\n';

describe('judge with the real sandbox', () => {
  it('judges each test case and reports the first failing one as the verdict', async () => {
    const result = await judge(
      sandbox,
      request(
        'python',
        { 'main.py': SUM_PY },
        {
          tests: [
            { stdin: text('1 2\n'), expectedOutput: text('3\n') },
            { stdin: text('2 2\n'), expectedOutput: text('5\n') },
            { stdin: text('10 -4\n'), expectedOutput: text('6') },
            { stdin: text('x y\n'), expectedOutput: text('0\n') },
          ],
        },
      ),
    );
    expect(result.tests.map((t) => t.verdict)).toEqual([
      'accepted',
      'wrong_answer',
      'accepted',
      'runtime_error',
    ]);
    expect(result.tests.map((t) => t.result.stdout.toString())).toEqual(['3\n', '4\n', '6\n', '']);
    expect(result.verdict).toBe('wrong_answer');
  });

  it('accepts a submission whose every test case matches', async () => {
    const result = await judge(
      sandbox,
      request(
        'python',
        { 'main.py': SUM_PY },
        {
          tests: [
            { stdin: text('1 1\n'), expectedOutput: text('2') },
            { stdin: text('5 5\n'), expectedOutput: text('10  \n\n') },
          ],
        },
      ),
    );
    expect(result.verdict).toBe('accepted');
  });

  it('passes program arguments as separate argv items', async () => {
    const result = await judge(
      sandbox,
      request('python', { 'main.py': 'import sys\nprint(sys.argv[1:])\n' }, { args: ['a b', '$(id)', '-x'] }),
    );
    expect(result.tests[0]?.result.stdout.toString()).toBe("['a b', '$(id)', '-x']\n");
  });

  it('reports a CPU-bound program as time_limit_exceeded', async () => {
    const result = await judge(
      sandbox,
      request('python', { 'main.py': 'while True:\n    pass\n' }, { limits: { ...limits, cpuTimeMs: 300 } }),
    );
    expect(result.verdict).toBe('time_limit_exceeded');
    expect(result.tests[0]?.result.timeLimit).toBe('cpu');
  });

  it('streams output events for each test case in order', async () => {
    const events: JudgeEvent[] = [];
    await judge(
      sandbox,
      request(
        'python',
        { 'main.py': 'print(input())\n' },
        {
          tests: [
            { stdin: text('first\n'), expectedOutput: null },
            { stdin: text('second\n'), expectedOutput: null },
          ],
          onEvent: (event) => events.push(event),
        },
      ),
    );
    // Chunk boundaries are the program's write calls, so compare what each test streamed as a whole.
    const summary: string[] = [];
    for (const event of events) {
      if (event.type !== 'output') summary.push(event.type);
      else if (summary.at(-1)?.startsWith(`${event.test}:${event.stream}:`))
        summary.push(`${summary.pop()!}${event.chunk.toString()}`);
      else summary.push(`${event.test}:${event.stream}:${event.chunk.toString()}`);
    }
    expect(summary).toEqual(['running', '0:stdout:first\n', 'running', '1:stdout:second\n']);
  });

  it('compiles several C files, handing the compiler only the .c files', async () => {
    const result = await judge(
      sandbox,
      request('c', {
        'main.c':
          '#include <stdio.h>\n#include "util.h"\nint main(void) { printf("%d\\n", twice(21)); return 0; }\n',
        'util.c': '#include "util.h"\nint twice(int x) { return 2 * x; }\n',
        'util.h': 'int twice(int x);\n',
      }),
    );
    expect(result.compile?.exitCode).toBe(0);
    expect(sandbox.argvs.at(-2)).toEqual(expect.arrayContaining(['main.c', 'util.c']));
    expect(sandbox.argvs.at(-2)).not.toContain('util.h');
    expect(result.tests[0]?.result.stdout.toString()).toBe('42\n');
  });

  it('passes compiler arguments to the compiler as single items', async () => {
    const result = await judge(
      sandbox,
      request(
        'c',
        { 'main.c': '#include <stdio.h>\nint main(void) { puts(GREETING); return 0; }\n' },
        { compilerArgs: ['-DGREETING="hi there"'] },
      ),
    );
    expect(result.tests[0]?.result.stdout.toString()).toBe('hi there\n');
  });

  it.each([
    [
      'c',
      { 'main.c': '#include <stdio.h>\nint main(void) { puts("cached c"); return 0; }\n' },
      'gcc',
      'cached c\n',
    ],
    [
      'java',
      {
        'Main.java':
          'public class Main {\n  static class Helper { static String say() { return "cached java"; } }\n  public static void main(String[] a) { System.out.println(Helper.say()); }\n}\n',
      },
      'javac',
      'cached java\n',
    ],
  ])(
    'serves a second identical %s compile from the cache without running the compiler',
    async (id, files, compiler, output) => {
      const cache = new CompileCache({ maxBytes: 64 * 1024 ** 2 });
      const first = await judge(sandbox, request(id, files), { cache });
      const compilesBefore = sandbox.argvs.filter((argv) => argv[0] === compiler).length;

      const second = await judge(sandbox, request(id, files), { cache });
      const compilesAfter = sandbox.argvs.filter((argv) => argv[0] === compiler).length;

      expect(first.tests[0]?.result.stdout.toString()).toBe(output);
      expect(second.tests[0]?.result.stdout.toString()).toBe(output);
      expect(compilesAfter).toBe(compilesBefore);
      // The cached compile result is reported again, timings and all, rather than a new one.
      expect(second.compile).toBe(first.compile);
      expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, entries: 1 });

      const third = await judge(
        sandbox,
        request(id, files, { compilerArgs: id === 'c' ? ['-O0'] : ['-g'] }),
        { cache },
      );
      expect(sandbox.argvs.filter((argv) => argv[0] === compiler).length).toBe(compilesAfter + 1);
      expect(third.compile).not.toBe(first.compile);
    },
  );
});
