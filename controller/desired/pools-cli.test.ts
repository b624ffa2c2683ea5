/**
 * The lines build.sh reads to build executor images, from the real CLI: one pool given on the command
 * line, and every pool of a desired-state file, each with the parts of GCC its image keeps.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));

async function poolsCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      'node_modules/.bin/tsx',
      ['controller/desired/pools-cli.ts', ...args],
      {
        cwd: repo,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'remcode-pools-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pools-cli', () => {
  it('gives one pool its image, languages, packages and kept GCC extras', async () => {
    const { code, stdout } = await poolsCli('pool', 'pair=python,c', 'static,sanitizers');
    expect(code).toBe(0);
    expect(stdout).toBe(
      'remcode-executor-pair:local\tpair\tpython,c\tpython3 gcc libc6-dev\tstatic,sanitizers\n',
    );
  });

  it('writes - for a pool that keeps no extras', async () => {
    const { stdout } = await poolsCli('pool', 'solo=lua');
    expect(stdout.trimEnd().split('\t').at(-1)).toBe('-');
  });

  it('refuses a GCC extra it does not know, naming it and the known ones', async () => {
    const { code, stderr } = await poolsCli('pool', 'pair=c', 'static,profiler');
    expect(code).toBe(64);
    expect(stderr).toContain('pool pair: unknown GCC extra(s) profiler (known: static, sanitizers, lto)');
  });

  it("reads each pool's gcc_extras from a desired-state file", async () => {
    const file = join(dir, 'remcode.yaml');
    await writeFile(
      file,
      [
        'version: 1',
        'stack: demo',
        'services:',
        '  web:',
        '    image: web:1',
        '  small:',
        '    image: remcode-executor-small:local',
        '    languages: [c]',
        '  big:',
        '    image: remcode-executor-big:local',
        '    languages: [cpp, python]',
        '    gcc_extras: [sanitizers, lto]',
        '',
      ].join('\n'),
    );
    const { code, stdout, stderr } = await poolsCli('manifest', file);
    expect(code, stderr).toBe(0);
    expect(stdout.trimEnd().split('\n')).toEqual([
      'remcode-executor-small:local\tsmall\tc\tgcc libc6-dev\t-',
      'remcode-executor-big:local\tbig\tcpp,python\tpython3 g++ libc6-dev\tsanitizers,lto',
    ]);
  });
});
