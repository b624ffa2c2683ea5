/**
 * An executor image built for a two-language pool, as `manifests/images/build.sh executor=NAME:IDS`
 * builds it for a manifest's pool: it holds only those languages' toolchains, stays within the size
 * target, and its executor refuses to serve a language the image lacks. Builds the image (about a
 * minute with a warm Docker cache; the image is kept so a rerun reuses it).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const image = 'remcode-executor-pair:local';
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

beforeAll(async () => {
  await run('bash', ['manifests/images/build.sh', 'executor=pair:python,c'], {
    cwd: repo,
    maxBuffer: 1 << 26,
    timeout: 1_500_000,
  });
}, 1_600_000);

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
    });
  });

  it('starts an executor that refuses a language the image lacks, naming it', async () => {
    const started = await docker('run', '--rm', '-e', 'EXECUTOR_LANGUAGES=python,ruby', image);
    expect(started.code).not.toBe(0);
    expect(started.out).toContain('ruby is not installed in this image');
  });
});
