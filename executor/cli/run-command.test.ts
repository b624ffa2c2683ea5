import { PassThrough } from 'node:stream';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRequest, RunResult, Sandbox, Workspace } from '../sandbox/types.js';
import { encodeOutput, EXIT_COMPLETED, EXIT_INTERNAL, EXIT_USAGE, runCommand } from './run-command.js';

function fakeSandbox(reply: Partial<RunResult>, seen: RunRequest[]): () => Promise<Sandbox> {
  return () => {
    const workspace: Workspace = {
      writeFiles: () => Promise.resolve(),
      run: (request) => {
        seen.push(request);
        return Promise.resolve({
          verdict: 'ok',
          timeLimit: null,
          exitCode: 0,
          signal: null,
          cpuTimeMs: 5,
          wallTimeMs: 6,
          memoryBytes: 7,
          stdout: Buffer.alloc(0),
          stderr: Buffer.alloc(0),
          stdoutTruncated: false,
          stderrTruncated: false,
          warmStart: false,
          error: null,
          ...reply,
        });
      },
      snapshot: () => Promise.resolve([]),
      release: () => Promise.resolve(),
    };
    return Promise.resolve({
      info: { cgroup: 'v1', slots: 1, standby: 0 },
      acquire: () => Promise.resolve(workspace),
      busySlots: () => 0,
      close: () => Promise.resolve(),
    });
  };
}

function io(stdinText = '') {
  const stdin = new PassThrough();
  stdin.end(stdinText);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c));
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c));
  return {
    io: { stdin, stdout, stderr },
    out: () => Buffer.concat(out).toString(),
    err: () => Buffer.concat(err).toString(),
  };
}

describe('encodeOutput', () => {
  it('keeps valid UTF-8 as text and base64-encodes anything else', () => {
    expect(encodeOutput(Buffer.from('héllo'), false)).toEqual({ text: 'héllo', encoding: 'utf-8' });
    expect(encodeOutput(Buffer.from([0xff, 0x00]), false)).toEqual({ text: '/wA=', encoding: 'base64' });
    expect(encodeOutput(Buffer.from('hi'), true)).toEqual({ text: 'aGk=', encoding: 'base64' });
  });
});

describe('runCommand', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'remcode-cli-'));
    await writeFile(join(dir, 'main.py'), 'print(input())\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the judged result as JSON with the program stdin read from its own stdin', async () => {
    const seen: RunRequest[] = [];
    const t = io('Ada\n');
    const code = await runCommand(['--lang', 'py', '--time', '1s', join(dir, 'main.py'), '--', 'x'], t.io, {
      createSandbox: fakeSandbox({ stdout: Buffer.from('Ada\n') }, seen),
    });
    expect(code).toBe(EXIT_COMPLETED);
    expect(seen[0]?.argv).toEqual(['python3', 'main.py', 'x']);
    expect(Buffer.from(seen[0]!.stdin!).toString()).toBe('Ada\n');
    expect(seen[0]?.limits.cpuTimeMs).toBe(1000);
    const printed = JSON.parse(t.out()) as Record<string, unknown>;
    expect(printed).toMatchObject({
      language: 'python',
      verdict: 'accepted',
      compile: null,
      tests: [{ verdict: 'accepted', result: { stdout: 'Ada\n', stdoutEncoding: 'utf-8', exitCode: 0 } }],
    });
  });

  it('exits 0 for a program that failed and 1 for a sandbox internal error', async () => {
    const failed = io();
    expect(
      await runCommand(['--lang', 'py', join(dir, 'main.py')], failed.io, {
        createSandbox: fakeSandbox({ exitCode: 1 }, []),
      }),
    ).toBe(EXIT_COMPLETED);
    expect(JSON.parse(failed.out())).toMatchObject({ verdict: 'runtime_error' });
    const broken = io();
    expect(
      await runCommand(['--lang', 'py', join(dir, 'main.py')], broken.io, {
        createSandbox: fakeSandbox({ verdict: 'internal_error', error: 'helper lost' }, []),
      }),
    ).toBe(EXIT_INTERNAL);
  });

  it('exits 2 with the usage text for an unknown language or a missing file', async () => {
    const unknown = io();
    expect(
      await runCommand(['--lang', 'intercal', join(dir, 'main.py')], unknown.io, {
        createSandbox: fakeSandbox({}, []),
      }),
    ).toBe(EXIT_USAGE);
    expect(unknown.err()).toMatch(/unknown language "intercal"/);
    const missing = io();
    expect(
      await runCommand(['--lang', 'py', join(dir, 'nope.py')], missing.io, {
        createSandbox: fakeSandbox({}, []),
      }),
    ).toBe(EXIT_USAGE);
    expect(missing.err()).toMatch(/cannot read source file/);
  });

  it('exits 1 when the sandbox cannot start', async () => {
    const t = io();
    const code = await runCommand(['--lang', 'py', join(dir, 'main.py')], t.io, {
      createSandbox: () => Promise.reject(new Error('no cgroup hierarchy is usable')),
    });
    expect(code).toBe(EXIT_INTERNAL);
    expect(t.err()).toMatch(/no cgroup hierarchy is usable/);
  });
});
