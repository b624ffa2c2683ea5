/**
 * remcode-run end to end: the real command (run from source with tsx), the real catalogue and sandbox.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsx = join(root, 'node_modules/.bin/tsx');
const entry = join(root, 'executor/cli/remcode-run.ts');

interface Printed {
  verdict: string;
  compile: { stderr: string; exitCode: number } | null;
  tests: { verdict: string; result: { stdout: string; stdoutEncoding: string; exitCode: number | null } }[];
}

function remcodeRun(
  args: string[],
  stdin?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [entry, ...args], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
    child.stdin.end(stdin ?? '');
  });
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'remcode-run-'));
  await writeFile(join(dir, 'main.py'), 'name = input()\nprint(f"Hello, {name}!")\n');
  await writeFile(
    join(dir, 'bytes.py'),
    'import sys\nsys.stdout.buffer.write(bytes([0xff, 0xfe, 0x00, 0x41]))\n',
  );
  await writeFile(join(dir, 'broken.c'), 'int main(void) { return missing; }\n');
  await writeFile(join(dir, 'input.txt'), 'File\n');
  await writeFile(join(dir, 'expected.txt'), 'Hello, Someone Else!\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('remcode-run', () => {
  it('runs a program with its own stdin piped in and prints the result as JSON', async () => {
    const run = await remcodeRun(
      ['--lang', 'python', '--time', '2s', '--memory', '256MiB', 'main.py'],
      'World\n',
    );
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as Printed;
    expect(printed.verdict).toBe('accepted');
    expect(printed.tests[0]?.result).toMatchObject({
      stdout: 'Hello, World!\n',
      stdoutEncoding: 'utf-8',
      exitCode: 0,
    });
  });

  it('reads stdin from --stdin-file and judges against --expect', async () => {
    const run = await remcodeRun([
      '--lang',
      'py',
      '--stdin-file',
      'input.txt',
      '--expect',
      'expected.txt',
      'main.py',
    ]);
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as Printed;
    expect(printed.verdict).toBe('wrong_answer');
    expect(printed.tests[0]?.result.stdout).toBe('Hello, File!\n');
  });

  it('prints output that is not UTF-8 as base64', async () => {
    const run = await remcodeRun(['--lang', 'python', 'bytes.py']);
    const result = (JSON.parse(run.stdout) as Printed).tests[0]!.result;
    expect(result.stdoutEncoding).toBe('base64');
    expect(Buffer.from(result.stdout, 'base64')).toEqual(Buffer.from([0xff, 0xfe, 0x00, 0x41]));
  });

  it('exits 0 with compile_error and the compiler output for a program that does not compile', async () => {
    const run = await remcodeRun(['--lang', 'c', 'broken.c']);
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as Printed;
    expect(printed.verdict).toBe('compile_error');
    expect(printed.compile?.stderr).toMatch(/missing/);
    expect(printed.tests).toEqual([]);
  });

  it('exits 2 with the usage text for a usage error', async () => {
    const run = await remcodeRun(['--lang', 'python', '--memory', 'lots', 'main.py']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/--memory "lots" is not understood/);
    expect(run.stderr).toMatch(/^usage: remcode-run/m);
  });
});
