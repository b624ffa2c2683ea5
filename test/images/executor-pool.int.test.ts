/**
 * An executor image built for a two-language pool, as `manifests/images/build.sh executor=NAME:IDS`
 * builds it for a manifest's pool: it holds only those languages' toolchains, stays within the size
 * target, and its executor refuses to serve a language the image lacks. A C pool that keeps one of
 * GCC's extras (`executor=NAME:IDS:EXTRAS`) links with the flag that needs it, where the lean pool
 * cannot. Builds both images (about a minute each with a warm Docker cache; they are kept so a rerun
 * reuses them).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDef } from '../../controller/desired/schema.js';
import {
  PAIR_IMAGE as image,
  buildPoolImage,
  executorRunOptions,
  pairExecutor,
} from '../support/executor-container.js';

const run = promisify(execFile);
/** The target for a Python and C executor, in megabytes as `docker image ls` counts them. */
const TARGET_MB = 350;

async function docker(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('docker', args, { maxBuffer: 1 << 24, timeout: 120_000 });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      out: `${failed.stdout ?? ''}${failed.stderr ?? ''}`,
    };
  }
}

const GCC_IMAGE = 'remcode-executor-gcc:local';
let executor: ServiceDef;

beforeAll(async () => {
  executor = await pairExecutor();
  await buildPoolImage('gcc:c:static');
}, 3_200_000);

/**
 * Judges a C hello world with one compiler flag through `remcode-run`, in a container started as the
 * manifest's executor service runs, so the sandbox compiles and runs it as it would a submission. The
 * program says whether it was linked statically: a static executable has no dynamic loader, so the
 * kernel gives it no AT_BASE.
 */
async function judgeC(
  inImage: string,
  flag: string,
): Promise<{ verdict: string; compileOutput: string; stdout: string }> {
  const script = `
const { execFileSync } = require('node:child_process');
require('node:fs').writeFileSync('/tmp/main.c', process.argv[1]);
process.stdout.write(execFileSync('node', ['dist/executor/cli/remcode-run.js', '--lang', 'c', '--compiler-arg', process.argv[2], '--time', '10s', '/tmp/main.c'], { encoding: 'utf8' }));
`;
  const source = [
    '#include <stdio.h>',
    '#include <sys/auxv.h>',
    'int main(void) { puts(getauxval(AT_BASE) ? "dynamic" : "static"); return 0; }',
  ].join('\n');
  const { code, out } = await docker(
    'run',
    '--rm',
    ...executorRunOptions(executor),
    inImage,
    'node',
    '-e',
    script,
    source,
    flag,
  );
  expect(code, out).toBe(0);
  const result = JSON.parse(out) as {
    compile?: { verdict: string; stdout: string; stderr: string };
    tests: { verdict: string; result: { stdout: string } }[];
    verdict: string;
  };
  return {
    verdict: result.verdict,
    compileOutput: `${result.compile?.stdout ?? ''}${result.compile?.stderr ?? ''}`,
    stdout: result.tests[0]?.result.stdout ?? '',
  };
}

describe('an executor image for a pool of Python and C', () => {
  it(`is at most ${TARGET_MB} MB`, async () => {
    const { out } = await docker('image', 'inspect', '-f', '{{.Size}}', image);
    const megabytes = Number(out.trim()) / 1e6;
    expect(megabytes).toBeGreaterThan(0);
    expect(megabytes).toBeLessThanOrEqual(TARGET_MB);
  });

  it('serves exactly the pool’s languages, with their real versions, and holds no other toolchain', async () => {
    const listed = await docker('run', '--rm', image, 'node', 'dist/executor/cli/languages.js');
    expect(listed.code).toBe(0);
    const lines = listed.out.trim().split('\n');
    expect(lines.map((line) => line.split(' ')[0])).toEqual(['python', 'c']);
    expect(lines.every((line) => /^\w+ \d+\.\d+/.test(line))).toBe(true);
    // The big pool's toolchains are not there at all (Node.js, the shell and Perl's base are the
    // executor's own).
    const others = await docker(
      'run',
      '--rm',
      image,
      'sh',
      '-c',
      'for tool in g++ java javac go rustc ruby php lua5.4 mcs mono tsc; do command -v $tool; done; true',
    );
    expect(others.out.trim()).toBe('');
    const labels = await docker('image', 'inspect', '-f', '{{json .Config.Labels}}', image);
    expect(JSON.parse(labels.out) as Record<string, string>).toMatchObject({
      'dev.remcode.pool': 'pair',
      'dev.remcode.languages': 'python,c',
      'dev.remcode.gcc-extras': '',
    });
  });

  it('compiles C, and answers a flag that needs a part of GCC it left out with the linker’s message', async () => {
    expect(await judgeC(image, '-O2')).toMatchObject({ verdict: 'accepted', stdout: 'dynamic\n' });
    const linked = await judgeC(image, '-static');
    expect(linked.verdict).toBe('compile_error');
    expect(linked.compileOutput).toMatch(/ld: cannot find \S*lib(c|m)\b/);
  });

  it('starts an executor that refuses a language the image lacks, naming it', async () => {
    const started = await docker('run', '--rm', '-e', 'EXECUTOR_LANGUAGES=python,ruby', image);
    expect(started.code).not.toBe(0);
    expect(started.out).toContain('ruby is not installed in this image');
  });
});

describe('an executor image for a C pool that keeps static libraries (gcc_extras: [static])', () => {
  it('links with -static, and still refuses -fsanitize, which it did not keep', async () => {
    const labels = await docker('image', 'inspect', '-f', '{{json .Config.Labels}}', GCC_IMAGE);
    expect(JSON.parse(labels.out) as Record<string, string>).toMatchObject({
      'dev.remcode.pool': 'gcc',
      'dev.remcode.gcc-extras': 'static',
    });
    expect(await judgeC(GCC_IMAGE, '-static')).toMatchObject({ verdict: 'accepted', stdout: 'static\n' });
    const sanitized = await judgeC(GCC_IMAGE, '-fsanitize=address');
    expect(sanitized.verdict).toBe('compile_error');
    expect(sanitized.compileOutput).toMatch(/cannot find -lasan/);
  });
});
