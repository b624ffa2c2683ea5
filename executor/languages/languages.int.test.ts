/**
 * Every language of the catalogue, for real, in the sandbox: its starter program greets, an echo program
 * copies stdin exactly, a program that does not compile (or, for interpreters, does not parse) gets a
 * clear verdict with the tool's message, and a program that fails at run time is a runtime error.
 */
import { constants } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../common/limits.js';
import { judge, type JudgeResult } from '../judge/judge.js';
import { createSandbox } from '../sandbox/index.js';
import type { Sandbox } from '../sandbox/types.js';
import { loadCatalogue, type LanguageCatalogue } from './catalogue.js';
import { runLimits } from './run-limits.js';

interface LanguageCase {
  /** Copies stdin to stdout byte for byte. */
  readonly echo: string;
  /** Fails to compile, or for interpreted languages fails to parse. */
  readonly broken: string;
  /** What the compiler or interpreter says about `broken`. */
  readonly brokenMessage: RegExp;
  /** Compiles and then fails while running. */
  readonly crash: string;
  readonly crashMessage: RegExp;
  readonly crashExit: { exitCode: number } | { signal: string };
}

const CASES: Record<string, LanguageCase> = {
  python: {
    echo: 'import sys\nsys.stdout.write(sys.stdin.read())\n',
    broken: 'print("unclosed"\n',
    brokenMessage: /SyntaxError/,
    crash: 'raise ValueError("boom")\n',
    crashMessage: /ValueError: boom/,
    crashExit: { exitCode: 1 },
  },
  c: {
    echo: '#include <stdio.h>\nint main(void) { int c; while ((c = getchar()) != EOF) putchar(c); return 0; }\n',
    broken: 'int main(void) { return undeclared_name; }\n',
    brokenMessage: /.undeclared_name. undeclared/,
    crash: '#include <stdio.h>\n#include <stdlib.h>\nint main(void) { fputs("boom\\n", stderr); abort(); }\n',
    crashMessage: /boom/,
    crashExit: { signal: 'SIGABRT' },
  },
  cpp: {
    echo: '#include <iostream>\nint main() { char c; while (std::cin.get(c)) std::cout.put(c); }\n',
    broken: 'int main() { undefined_function(); }\n',
    brokenMessage: /.undefined_function. was not declared/,
    crash: '#include <stdexcept>\nint main() { throw std::runtime_error("boom"); }\n',
    crashMessage: /what\(\): +boom/,
    crashExit: { signal: 'SIGABRT' },
  },
  javascript: {
    echo: "process.stdout.write(require('fs').readFileSync(0));\n",
    broken: 'console.log("x";\n',
    brokenMessage: /SyntaxError/,
    crash: "throw new Error('boom');\n",
    crashMessage: /Error: boom/,
    crashExit: { exitCode: 1 },
  },
  typescript: {
    echo: "import * as fs from 'fs';\nprocess.stdout.write(fs.readFileSync(0));\n",
    broken: "const n: number = 'text';\nconsole.log(n);\n",
    brokenMessage: /TS2322/,
    crash: "const fail = (): never => { throw new Error('boom'); };\nfail();\n",
    crashMessage: /Error: boom/,
    crashExit: { exitCode: 1 },
  },
  java: {
    echo: 'public class Main {\n  public static void main(String[] args) throws Exception {\n    System.in.transferTo(System.out);\n    System.out.flush();\n  }\n}\n',
    broken: 'public class Main {\n  public static void main(String[] args) { int x = "s"; }\n}\n',
    brokenMessage: /incompatible types/,
    crash:
      'public class Main {\n  public static void main(String[] args) { throw new IllegalStateException("boom"); }\n}\n',
    crashMessage: /IllegalStateException: boom/,
    crashExit: { exitCode: 1 },
  },
  go: {
    echo: 'package main\n\nimport (\n\t"io"\n\t"os"\n)\n\nfunc main() { io.Copy(os.Stdout, os.Stdin) }\n',
    broken: 'package main\n\nfunc main() { x := 1 }\n',
    brokenMessage: /x declared (but|and) not used/,
    crash: 'package main\n\nfunc main() { panic("boom") }\n',
    crashMessage: /panic: boom/,
    crashExit: { exitCode: 2 },
  },
  rust: {
    echo: 'use std::io::{Read, Write};\n\nfn main() {\n    let mut data = Vec::new();\n    std::io::stdin().read_to_end(&mut data).unwrap();\n    std::io::stdout().write_all(&data).unwrap();\n}\n',
    broken: 'fn main() { let x: i32 = "s"; }\n',
    brokenMessage: /mismatched types/,
    crash: 'fn main() { panic!("boom"); }\n',
    crashMessage: /panicked at .*boom/,
    crashExit: { exitCode: 101 },
  },
  bash: {
    echo: 'cat\n',
    broken: 'if then fi\n',
    brokenMessage: /syntax error/,
    crash: 'echo boom >&2\nexit 3\n',
    crashMessage: /boom/,
    crashExit: { exitCode: 3 },
  },
  ruby: {
    echo: '$stdout.write($stdin.read)\n',
    broken: 'def broken(\n',
    brokenMessage: /syntax error/,
    crash: 'raise "boom"\n',
    crashMessage: /boom \(RuntimeError\)/,
    crashExit: { exitCode: 1 },
  },
  php: {
    echo: '<?php\nfwrite(STDOUT, stream_get_contents(STDIN));\n',
    broken: '<?php\necho "x"\n',
    brokenMessage: /Parse error/,
    crash: '<?php\nthrow new Exception("boom");\n',
    crashMessage: /Uncaught Exception: boom/,
    crashExit: { exitCode: 255 },
  },
  perl: {
    echo: 'binmode STDIN; binmode STDOUT;\nprint while <STDIN>;\n',
    broken: 'my $x = ;\n',
    brokenMessage: /syntax error/,
    crash: 'die "boom\\n";\n',
    crashMessage: /boom/,
    crashExit: { exitCode: 255 },
  },
  lua: {
    echo: 'io.write(io.read("a"))\n',
    broken: 'print("x"\n',
    brokenMessage: /'\)' expected/,
    crash: 'error("boom")\n',
    crashMessage: /boom/,
    crashExit: { exitCode: 1 },
  },
  csharp: {
    echo: 'using System;\n\npublic static class Program {\n  public static void Main() {\n    using (var input = Console.OpenStandardInput())\n    using (var output = Console.OpenStandardOutput()) {\n      input.CopyTo(output);\n    }\n  }\n}\n',
    broken: 'public static class Program {\n  public static void Main() { int x = "s"; }\n}\n',
    brokenMessage: /CS0029/,
    crash:
      'public static class Program {\n  public static void Main() { throw new System.InvalidOperationException("boom"); }\n}\n',
    crashMessage: /InvalidOperationException: boom/,
    crashExit: { exitCode: 1 },
  },
};

const ECHO_INPUT = 'line one\n  indented line two\t\n\nlast line without newline ünïcødé';

let sandbox: Sandbox;
let catalogue: LanguageCatalogue;

beforeAll(async () => {
  [sandbox, catalogue] = await Promise.all([createSandbox({ slots: 1 }), loadCatalogue()]);
});

afterAll(async () => {
  await sandbox?.close();
});

function run(id: string, source: string, stdin = ''): Promise<JudgeResult> {
  const language = catalogue.resolve(id)!;
  return judge(sandbox, {
    language,
    files: [{ path: language.sourceFile, content: Buffer.from(source) }],
    args: [],
    compilerArgs: [],
    // Generous wall time: the machine running the suite has two cores shared with other tests.
    limits: runLimits({ ...DEFAULT_LIMITS, wallTimeMs: 15_000 }),
    tests: [{ stdin: Buffer.from(stdin), expectedOutput: null }],
  });
}

const signalNumber = (name: string | null) =>
  name !== null && Object.hasOwn(constants.signals, name)
    ? constants.signals[name as keyof typeof constants.signals]
    : name;

const toolOutput = (result: JudgeResult) =>
  result.compile ? `${result.compile.stdout.toString()}${result.compile.stderr.toString()}` : '';

it('covers every language of the catalogue', async () => {
  const ids = (await loadCatalogue()).list().map((language) => language.id);
  expect(Object.keys(CASES).sort()).toEqual([...ids].sort());
});

describe.each(Object.entries(CASES))('%s', (id, program) => {
  it('is installed', () => {
    const language = catalogue.resolve(id);
    expect(language?.unavailableReason ?? null).toBeNull();
    expect(language?.available).toBe(true);
  });

  it('runs its starter program, which greets the line read from stdin', async () => {
    const result = await run(id, catalogue.resolve(id)!.starter, 'World\n');
    expect(result.tests[0]?.result.stderr.toString()).toBe('');
    expect(result.tests[0]?.result.stdout.toString()).toBe('Hello, World!\n');
    expect(result.verdict).toBe('accepted');
    if (catalogue.resolve(id)!.compile) expect(result.compile?.exitCode).toBe(0);
    else expect(result.compile).toBeNull();
  });

  it('copies stdin to stdout exactly', async () => {
    const result = await run(id, program.echo, ECHO_INPUT);
    expect(result.tests[0]?.result.stdout.toString()).toBe(ECHO_INPUT);
    expect(result.verdict).toBe('accepted');
  });

  it('reports a program that does not compile or parse, with the tool message', async () => {
    const result = await run(id, program.broken);
    if (catalogue.resolve(id)!.compile) {
      expect(result.verdict).toBe('compile_error');
      expect(result.tests).toEqual([]);
      expect(toolOutput(result)).toMatch(program.brokenMessage);
    } else {
      expect(result.verdict).toBe('runtime_error');
      expect(result.tests[0]?.result.exitCode).not.toBe(0);
      expect(result.tests[0]?.result.stderr.toString()).toMatch(program.brokenMessage);
    }
  });

  it('reports a program that fails while running as a runtime error', async () => {
    const result = await run(id, program.crash);
    expect(result.verdict).toBe('runtime_error');
    const test = result.tests[0]!.result;
    expect(test.stderr.toString()).toMatch(program.crashMessage);
    // Compared by number: SIGABRT and SIGIOT are the same signal under two names.
    if ('signal' in program.crashExit) {
      expect(signalNumber(test.signal)).toBe(signalNumber(program.crashExit.signal));
    } else expect(test.exitCode).toBe(program.crashExit.exitCode);
  });
});
