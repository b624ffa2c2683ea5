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
  /**
   * Brainfuck has no run-time errors: its failing program loops until the time limit stops it, and
   * this verdict replaces the runtime-error checks.
   */
  readonly crashVerdict?: 'time_limit_exceeded';
  /** Input of the echo program when the interpreter cannot copy every byte (beef treats cells as UTF-8 text). */
  readonly echoInput?: string;
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
  pypy: {
    echo: 'import sys\nsys.stdout.write(sys.stdin.read())\n',
    broken: 'print("unclosed"\n',
    brokenMessage: /SyntaxError/,
    crash: 'raise ValueError("boom")\n',
    crashMessage: /ValueError: boom/,
    crashExit: { exitCode: 1 },
  },
  haskell: {
    echo: 'main :: IO ()\nmain = getContents >>= putStr\n',
    broken: 'main :: IO ()\nmain = putStrLn (1 :: Int)\n',
    brokenMessage: /Couldn't match/,
    crash: 'main :: IO ()\nmain = error "boom"\n',
    crashMessage: /boom/,
    crashExit: { exitCode: 1 },
  },
  ocaml: {
    echo: 'let () =\n  set_binary_mode_in stdin true;\n  set_binary_mode_out stdout true;\n  let buffer = Bytes.create 4096 in\n  let rec copy () =\n    let n = input stdin buffer 0 4096 in\n    if n > 0 then (output stdout buffer 0 n; copy ())\n  in\n  copy ()\n',
    broken: 'let () = print_string 1\n',
    brokenMessage: /has type int/,
    crash: 'let () = failwith "boom"\n',
    crashMessage: /Failure\("boom"\)/,
    crashExit: { exitCode: 2 },
  },
  scala: {
    echo: 'object Main {\n  def main(args: Array[String]): Unit = {\n    val buffer = new Array[Byte](4096)\n    var n = System.in.read(buffer)\n    while (n > 0) { System.out.write(buffer, 0, n); n = System.in.read(buffer) }\n    System.out.flush()\n  }\n}\n',
    broken: 'object Main {\n  def main(args: Array[String]): Unit = { val x: Int = "s" }\n}\n',
    brokenMessage: /type mismatch/,
    crash:
      'object Main {\n  def main(args: Array[String]): Unit = throw new IllegalStateException("boom")\n}\n',
    crashMessage: /IllegalStateException: boom/,
    crashExit: { exitCode: 1 },
  },
  kotlin: {
    echo: 'fun main() {\n    System.`in`.copyTo(System.out)\n    System.out.flush()\n}\n',
    broken: 'fun main() {\n    val x: Int = "s"\n}\n',
    brokenMessage: /type mismatch/i,
    crash: 'fun main() {\n    throw IllegalStateException("boom")\n}\n',
    crashMessage: /IllegalStateException: boom/,
    crashExit: { exitCode: 1 },
  },
  clojure: {
    echo: '(.transferTo System/in System/out)\n(.flush System/out)\n',
    broken: '(println "x"\n',
    brokenMessage: /EOF while reading/,
    crash: '(throw (IllegalStateException. "boom"))\n',
    crashMessage: /boom/,
    crashExit: { exitCode: 1 },
  },
  groovy: {
    echo: 'System.out << System.in\nSystem.out.flush()\n',
    broken: 'println("x"\n',
    brokenMessage: /unexpected token|expecting/,
    crash: 'throw new IllegalStateException("boom")\n',
    crashMessage: /IllegalStateException: boom/,
    crashExit: { exitCode: 1 },
  },
  erlang: {
    echo: '-module(main).\n-export([main/1]).\n\nmain(_) ->\n    ok = io:setopts(standard_io, [binary, {encoding, latin1}]),\n    copy().\n\ncopy() ->\n    case file:read(standard_io, 4096) of\n        {ok, Data} -> ok = file:write(standard_io, Data), copy();\n        eof -> ok\n    end.\n',
    broken: '-module(main).\n-export([main/1]).\n\nmain(_) -> io:format("x"\n',
    brokenMessage: /syntax error/,
    crash: '-module(main).\n-export([main/1]).\n\nmain(_) -> erlang:error(boom).\n',
    crashMessage: /boom/,
    crashExit: { exitCode: 1 },
  },
  elixir: {
    echo: 'IO.binwrite(IO.binread(:stdio, :eof))\n',
    broken: 'IO.puts("x"\n',
    brokenMessage: /TokenMissingError|SyntaxError|missing terminator/,
    crash: 'raise "boom"\n',
    crashMessage: /\(RuntimeError\) boom/,
    crashExit: { exitCode: 1 },
  },
  racket: {
    echo: '#lang racket/base\n(require racket/port)\n(copy-port (current-input-port) (current-output-port))\n',
    broken: '#lang racket/base\n(display "x"\n',
    brokenMessage: /expected a `\)`/,
    crash: '#lang racket/base\n(error "boom")\n',
    crashMessage: /boom/,
    crashExit: { exitCode: 1 },
  },
  commonlisp: {
    echo: "(loop with buffer = (make-array 4096 :element-type '(unsigned-byte 8))\n      with in = (sb-sys:make-fd-stream 0 :input t :element-type '(unsigned-byte 8))\n      with out = (sb-sys:make-fd-stream 1 :output t :element-type '(unsigned-byte 8))\n      for n = (read-sequence buffer in)\n      while (plusp n)\n      do (write-sequence buffer out :end n)\n      finally (finish-output out))\n",
    broken: '(print "x"\n',
    brokenMessage: /end of file/i,
    crash: '(error "boom")\n',
    crashMessage: /boom/,
    crashExit: { exitCode: 1 },
  },
  scheme: {
    echo: '(use-modules (ice-9 binary-ports))\n(let ((data (get-bytevector-all (current-input-port))))\n  (unless (eof-object? data) (put-bytevector (current-output-port) data)))\n',
    broken: '(display "x"\n',
    brokenMessage: /unexpected end of input/,
    crash: '(error "boom")\n',
    crashMessage: /boom/,
    crashExit: { exitCode: 1 },
  },
  prolog: {
    echo: ':- initialization(main, main).\n\nmain :-\n    set_stream(user_input, type(binary)),\n    set_stream(user_output, type(binary)),\n    copy_stream_data(user_input, user_output).\n',
    broken: ':- initialization(main, main).\n\nmain :- write(x.\n',
    brokenMessage: /Syntax error/,
    crash: ':- initialization(main, main).\n\nmain :- throw(error(domain_error(boom, here), _)).\n',
    crashMessage: /boom/,
    crashExit: { exitCode: 2 },
  },
  fortran: {
    echo: "program main\n  use, intrinsic :: iso_c_binding, only: c_int\n  implicit none\n  interface\n    function getchar() bind(c, name='getchar')\n      import :: c_int\n      integer(c_int) :: getchar\n    end function getchar\n    function putchar(c) bind(c, name='putchar')\n      import :: c_int\n      integer(c_int), value :: c\n      integer(c_int) :: putchar\n    end function putchar\n  end interface\n  integer(c_int) :: c, ignored\n  do\n    c = getchar()\n    if (c < 0) exit\n    ignored = putchar(c)\n  end do\nend program main\n",
    broken: 'program main\n  integer :: x\n  x = "s"\nend program main\n',
    brokenMessage: /Cannot convert CHARACTER/,
    crash: 'program main\n  error stop "boom"\nend program main\n',
    crashMessage: /boom/,
    crashExit: { exitCode: 1 },
  },
  pascal: {
    echo: 'program Main;\nvar\n  c: char;\nbegin\n  while not eof(input) do\n  begin\n    read(input, c);\n    write(output, c);\n  end;\nend.\n',
    broken: "program Main;\nvar x: integer;\nbegin\n  x := 'text';\nend.\n",
    brokenMessage: /Incompatible types/,
    crash: "program Main;\n{$mode objfpc}\nuses SysUtils;\nbegin\n  raise Exception.Create('boom');\nend.\n",
    crashMessage: /boom/,
    crashExit: { exitCode: 217 },
  },
  cobol: {
    echo: 'IDENTIFICATION DIVISION.\nPROGRAM-ID. MAIN.\nDATA DIVISION.\nWORKING-STORAGE SECTION.\n01 WS-CHAR BINARY-LONG.\n01 WS-IGNORED BINARY-LONG.\nPROCEDURE DIVISION.\n    CALL STATIC "getchar" RETURNING WS-CHAR\n    PERFORM UNTIL WS-CHAR < 0\n        CALL STATIC "putchar" USING BY VALUE WS-CHAR RETURNING WS-IGNORED\n        CALL STATIC "getchar" RETURNING WS-CHAR\n    END-PERFORM\n    STOP RUN.\n',
    broken:
      'IDENTIFICATION DIVISION.\nPROGRAM-ID. MAIN.\nPROCEDURE DIVISION.\n    DISPLAY WS-UNDEFINED\n    STOP RUN.\n',
    brokenMessage: /WS-UNDEFINED.* is not defined/,
    crash:
      'IDENTIFICATION DIVISION.\nPROGRAM-ID. MAIN.\nPROCEDURE DIVISION.\n    DISPLAY "boom" UPON SYSERR\n    STOP RUN RETURNING 3.\n',
    crashMessage: /boom/,
    crashExit: { exitCode: 3 },
  },
  d: {
    echo: 'import std.stdio;\n\nvoid main() {\n    foreach (ubyte[] chunk; stdin.byChunk(4096)) stdout.rawWrite(chunk);\n}\n',
    broken: 'void main() { int x = "s"; }\n',
    brokenMessage: /cannot implicitly convert/,
    crash: 'void main() { throw new Exception("boom"); }\n',
    crashMessage: /Exception.*boom/,
    crashExit: { exitCode: 1 },
  },
  ada: {
    echo: "with Ada.Text_IO; use Ada.Text_IO;\nwith Ada.Text_IO.Text_Streams; use Ada.Text_IO.Text_Streams;\nwith Ada.IO_Exceptions;\n\nprocedure Main is\n   C : Character;\nbegin\n   loop\n      Character'Read (Stream (Standard_Input), C);\n      Character'Write (Stream (Standard_Output), C);\n   end loop;\nexception\n   when Ada.IO_Exceptions.End_Error => null;\nend Main;\n",
    broken: 'procedure Main is\n   X : Integer := "s";\nbegin\n   null;\nend Main;\n',
    brokenMessage: /expected type "Standard.Integer"/,
    crash: 'procedure Main is\nbegin\n   raise Program_Error with "boom";\nend Main;\n',
    crashMessage: /PROGRAM_ERROR : boom/,
    crashExit: { exitCode: 1 },
  },
  objectivec: {
    echo: '#include <stdio.h>\nint main(void) { int c; while ((c = getchar()) != EOF) putchar(c); return 0; }\n',
    broken:
      '#import <objc/Object.h>\n@interface Greeter : Object\n@end\nint main(void) { [Greeter undefined_method]; return undeclared_name; }\n',
    brokenMessage: /.undeclared_name. undeclared/,
    crash: '#include <stdio.h>\n#include <stdlib.h>\nint main(void) { fputs("boom\\n", stderr); abort(); }\n',
    crashMessage: /boom/,
    crashExit: { signal: 'SIGABRT' },
  },
  r: {
    echo: 'input <- file("stdin", "rb")\ndata <- readBin(input, "raw", 1e6)\nclose(input)\ncat(rawToChar(data))\n',
    broken: 'print("x"\n',
    brokenMessage: /unexpected end of input/,
    crash: 'stop("boom")\n',
    crashMessage: /Error: boom/,
    crashExit: { exitCode: 1 },
  },
  octave: {
    echo: "data = fread(stdin, Inf, 'uint8');\nfwrite(stdout, data, 'uint8');\n",
    broken: 'x = (1 + ;\n',
    brokenMessage: /parse error/,
    crash: 'error("boom");\n',
    crashMessage: /error: boom/,
    crashExit: { exitCode: 1 },
  },
  tcl: {
    echo: 'fconfigure stdin -translation binary\nfconfigure stdout -translation binary\nputs -nonewline [read stdin]\n',
    broken: 'puts "x\n',
    brokenMessage: /missing "/,
    crash: 'error "boom"\n',
    crashMessage: /boom/,
    crashExit: { exitCode: 1 },
  },
  awk: {
    echo: 'BEGIN { RS = "^$"; ORS = "" }\n{ print }\n',
    broken: 'BEGIN { print ( }\n',
    brokenMessage: /syntax error/,
    crash: 'BEGIN { print "boom" > "/dev/stderr"; exit 3 }\n',
    crashMessage: /boom/,
    crashExit: { exitCode: 3 },
  },
  sql: {
    echo: "CREATE TABLE input (data TEXT);\n.mode ascii\n.import '|cat' input\n.mode list\n.separator '' ''\nSELECT data FROM input;\n",
    broken: 'SELEC 1;\n',
    brokenMessage: /syntax error/,
    crash: "SELECT json('boom');\n",
    crashMessage: /malformed JSON/,
    crashExit: { exitCode: 1 },
  },
  brainfuck: {
    echo: ',[.,]\n',
    echoInput: 'line one\n  indented line two\t\n\nlast line without newline',
    broken: '+[.\n',
    brokenMessage: /unmatched|bracket|\[/i,
    crash: '+[]\n',
    crashMessage: /^$/,
    crashExit: { exitCode: 0 },
    crashVerdict: 'time_limit_exceeded',
  },
  zsh: {
    echo: 'cat\n',
    broken: 'fi\n',
    brokenMessage: /parse error/,
    crash: 'echo boom >&2\nexit 3\n',
    crashMessage: /boom/,
    crashExit: { exitCode: 3 },
  },
  fish: {
    echo: 'cat\n',
    broken: 'if true\necho x\n',
    brokenMessage: /Missing end/,
    crash: 'echo boom >&2\nexit 3\n',
    crashMessage: /boom/,
    crashExit: { exitCode: 3 },
  },
  raku: {
    echo: '$*OUT.write($*IN.slurp(:bin));\n',
    broken: 'say "x;\n',
    brokenMessage: /Unable to parse|Couldn't find terminator/,
    crash: 'die "boom";\n',
    crashMessage: /boom/,
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

function run(id: string, source: string, stdin = '', compilerArgs: string[] = []): Promise<JudgeResult> {
  const language = catalogue.resolve(id)!;
  return judge(sandbox, {
    language,
    files: [{ path: language.sourceFile, content: Buffer.from(source) }],
    args: [],
    compilerArgs,
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

  it('runs its starter program with the starter stdin the editor fills in, and greets', async () => {
    const language = catalogue.resolve(id)!;
    expect(language.starterStdin).toBe('World\n');
    const result = await run(id, language.starter, language.starterStdin);
    expect(result.tests[0]?.result.stderr.toString()).toBe('');
    expect(result.tests[0]?.result.stdout.toString()).toBe('Hello, World!\n');
    expect(result.verdict).toBe('accepted');
    if (catalogue.resolve(id)!.compile) expect(result.compile?.exitCode).toBe(0);
    else expect(result.compile).toBeNull();
  });

  it('copies stdin to stdout exactly', async () => {
    const input = program.echoInput ?? ECHO_INPUT;
    const result = await run(id, program.echo, input);
    expect(result.tests[0]?.result.stdout.toString()).toBe(input);
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
    if (program.crashVerdict) return void expect(result.verdict).toBe(program.crashVerdict);
    expect(result.verdict).toBe('runtime_error');
    const test = result.tests[0]!.result;
    expect(test.stderr.toString()).toMatch(program.crashMessage);
    // Compared by number: SIGABRT and SIGIOT are the same signal under two names.
    if ('signal' in program.crashExit) {
      expect(signalNumber(test.signal)).toBe(signalNumber(program.crashExit.signal));
    } else expect(test.exitCode).toBe(program.crashExit.exitCode);
  });
});

// The sandbox refuses ptrace, which LeakSanitizer needs at exit; the catalogue turns leak checks off so
// that a clean program built with AddressSanitizer is accepted, while a memory error still ends the run.
describe.each([
  [
    'c',
    '#include <stdlib.h>\nint main(int argc, char **argv) { (void)argv; volatile int *p = malloc(8); p[argc + 1] = 1; return p[argc + 1] - 1; }\n',
  ],
  [
    'cpp',
    '#include <vector>\nint main(int argc, char **) { std::vector<int> v(2); int *p = v.data(); p[argc + 1] = 1; return p[argc + 1] - 1; }\n',
  ],
])('%s under -fsanitize=address', (id, overflow) => {
  it('accepts a clean program and reports a heap overflow as a runtime error', async () => {
    const clean = await run(id, catalogue.resolve(id)!.starter, 'World\n', ['-fsanitize=address']);
    expect(clean.tests[0]?.result.stderr.toString()).toBe('');
    expect(clean.tests[0]?.result.stdout.toString()).toBe('Hello, World!\n');
    expect(clean.verdict).toBe('accepted');
    const overflowed = await run(id, overflow, '', ['-fsanitize=address']);
    expect(overflowed.verdict).toBe('runtime_error');
    expect(overflowed.tests[0]?.result.stderr.toString()).toMatch(/AddressSanitizer: heap-buffer-overflow/);
  });
});
