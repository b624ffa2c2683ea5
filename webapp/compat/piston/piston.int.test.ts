import { piston } from 'piston-client';
import type { PistonClient } from 'piston-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../../../test/browser/service.js';
import type { Service } from '../../../test/browser/service.js';

/**
 * The Piston dialect through the real `piston-client` package against a running RemCode (webapp and
 * executor processes, the real sandbox), the way an existing Piston user would point it at RemCode.
 */

interface Stage {
  stdout: string;
  stderr: string;
  output: string;
  code: number | null;
  signal: string | null;
  status: string | null;
  message: string | null;
  memory: number;
  cpu_time: number;
  wall_time: number;
}
interface Executed {
  language: string;
  version: string;
  run?: Stage;
  compile?: Stage;
  message?: string;
}

let service: Service;
let client: PistonClient;

beforeAll(async () => {
  // A C++ compile behind a busy second core must not turn into a 503 on a slow machine.
  service = await startService({ env: { REMCODE_WAIT_TIMEOUT: '60s' } });
  client = piston({ server: service.url });
}, 120_000);

afterAll(async () => {
  await service?.close();
});

async function run(language: string, code: string, config: Record<string, unknown> = {}): Promise<Executed> {
  return (await client.execute(language, code, { args: [], ...config })) as Executed;
}

async function post(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${service.url}/api/v2/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('piston-client against RemCode', () => {
  it('lists the installed runtimes with Piston names, versions and aliases', async () => {
    const runtimes = (await client.runtimes()) as { language: string; version: string; aliases: string[] }[];
    const python = runtimes.find((r) => r.language === 'python');
    expect(python?.version).toMatch(/^3\.\d+\.\d+$/);
    expect(python?.aliases).toContain('py');
    const cpp = runtimes.find((r) => r.language === 'c++');
    expect(cpp).toMatchObject({ runtime: 'gcc' });
    expect(cpp?.aliases).toContain('cpp');
  });

  it.each([
    ['python', 'print("hello world")'],
    ['javascript', 'console.log("hello world")'],
    ['c', '#include <stdio.h>\nint main(void) { puts("hello world"); return 0; }'],
    ['c++', '#include <iostream>\nint main() { std::cout << "hello world" << std::endl; }'],
    [
      'java',
      'public class Main { public static void main(String[] a) { System.out.println("hello world"); } }',
    ],
    ['ruby', 'puts "hello world"'],
  ])('runs hello world in %s', async (language, code) => {
    const result = await run(language, code);
    expect(result.language).toBe(language);
    expect(result.run).toMatchObject({
      stdout: 'hello world\n',
      stderr: '',
      code: 0,
      signal: null,
      status: null,
    });
    expect(result.run?.output).toBe('hello world\n');
    if (['c', 'c++', 'java'].includes(language)) expect(result.compile?.code).toBe(0);
    else expect(result.compile).toBeUndefined();
  });

  it('passes stdin and args to the program', async () => {
    const python = await run('python', 'import sys\nprint(input()[::-1], sys.argv[1:])', {
      stdin: 'olleh\n',
      args: ['a b', '$HOME'],
    });
    expect(python.run?.stdout).toBe("hello ['a b', '$HOME']\n");
    const c = await run(
      'c',
      '#include <stdio.h>\nint main(void) { int a, b; scanf("%d %d", &a, &b); printf("%d\\n", a + b); }',
      { stdin: '20 22' },
    );
    expect(c.run?.stdout).toBe('42\n');
  });

  it('answers a compile error with the compiler output and no run', async () => {
    const cpp = await run('c++', 'int main() { return undefined_name; }');
    expect(cpp.compile?.code).not.toBe(0);
    expect(cpp.compile?.stderr).toContain('undefined_name');
    expect(cpp.compile?.status).toBe('RE');
    expect(cpp.run).toBeUndefined();
    const java = await run('java', 'public class Main { void f() { int x = "s"; } }');
    expect(java.compile?.code).not.toBe(0);
    expect(java.compile?.stderr).toMatch(/incompatible types/);
  });

  it('answers runtime errors with the exit code or the signal', async () => {
    const python = await run('python', 'raise SystemExit(3)');
    expect(python.run).toMatchObject({ code: 3, signal: null, status: 'RE' });
    const thrown = await run('javascript', 'throw new Error("boom")');
    expect(thrown.run?.code).toBe(1);
    expect(thrown.run?.stderr).toContain('boom');
    const segv = await run('c', 'int main(void) { volatile int *p = 0; return *p; }');
    expect(segv.run).toMatchObject({ code: null, signal: 'SIGSEGV', status: 'SG' });
  });

  it('stops a program at its run timeout', async () => {
    const python = await run('python', 'while True:\n    pass', { runTimeout: 1000 });
    expect(python.run).toMatchObject({ signal: 'SIGKILL', status: 'TO', code: null });
    const cpp = await run('c++', 'int main() { volatile long i = 0; for (;;) i++; }', { runTimeout: 1000 });
    expect(cpp.run?.status).toBe('TO');
  });

  it('stops a program at its memory limit', async () => {
    const python = await run('python', 'x = bytearray(400 * 1024 * 1024)\nprint(len(x))', {
      runMemoryLimit: 64 * 1024 * 1024,
    });
    expect(python.run).toMatchObject({ status: 'SG', message: 'Memory limit exceeded', stdout: '' });
    const c = await run(
      'c',
      // Through a volatile pointer, so the compiler cannot drop the allocation it sees no use of.
      '#include <stdlib.h>\nint main(void) { volatile char *p = malloc(300 << 20); for (long i = 0; i < (300L << 20); i += 4096) p[i] = 1; return p[4096]; }',
      { runMemoryLimit: 32 * 1024 * 1024 },
    );
    expect(c.run).toMatchObject({ status: 'SG', message: 'Memory limit exceeded' });
  });

  it('stops a program at the output limit with OL', async () => {
    const python = await run('python', 'while True:\n    print("y" * 1000)');
    expect(python.run).toMatchObject({ status: 'OL', message: 'stdout length exceeded' });
    expect(python.run?.stdout.length).toBeGreaterThan(0);
  });

  it('places several files in their encodings and runs the first UTF-8 one', async () => {
    const result = await run('python', '', {
      files: [
        { name: 'data.bin', content: Buffer.from([0, 1, 2, 255]).toString('base64'), encoding: 'base64' },
        { name: 'main.py', content: 'import helper\nhelper.show()' },
        {
          name: 'helper.py',
          content: Buffer.from('def show():\n    print(open("data.bin", "rb").read().hex())\n').toString(
            'hex',
          ),
          encoding: 'hex',
        },
      ],
    });
    expect(result.run?.stdout).toBe('000102ff\n');
  });

  it("answers Piston's errors as 400 with a message", async () => {
    // The client cannot find a version for an unknown language and sends none.
    const unknown = await run('cobol-9000', 'x');
    expect(unknown.message).toBe('version is required as a string');
    const version = await post({ language: 'python', version: '2.7.0', files: [{ content: 'print(1)' }] });
    expect(version).toEqual({ status: 400, json: { message: 'python-2.7.0 runtime is unknown' } });
    const files = await post({ language: 'python', version: '*', files: [{ name: 'a.py' }] });
    expect(files).toEqual({ status: 400, json: { message: 'files[0].content is required as a string' } });
    const noFiles = await post({ language: 'python', version: '*' });
    expect(noFiles).toEqual({ status: 400, json: { message: 'files is required as an array' } });
    const tooLong = await post({
      language: 'python',
      version: '*',
      files: [{ content: 'print(1)' }],
      run_timeout: 3_600_000,
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.message).toMatch(/^run_timeout cannot exceed the configured limit of \d+$/);
    const negative = await post({
      language: 'python',
      version: '*',
      files: [{ content: 'print(1)' }],
      run_timeout: -5,
    });
    expect(negative).toEqual({ status: 400, json: { message: 'run_timeout must be non-negative' } });
  });
});
