import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The fewest capabilities the executor needs, measured: the helper runs what an executor runs with only
 * these in its bounding set (as in a container given `cap_drop: [ALL]` and these in `cap_add`), and fails
 * without any one of them. docs/sandbox.md names the line of code that needs each.
 */

/**
 * What the sandbox needs, with how a run fails without each. Not needed: `kill` (the helper signals only
 * processes of its own uid: box PID 1 is root without capabilities) and `sys_chroot` where pivot_root is
 * allowed (the chroot in box.c is the fallback for engines whose seccomp profile denies pivot_root).
 */
const NEEDED = {
  sys_admin: 'unshare(CLONE_NEWNS | CLONE_NEWNET): Operation not permitted',
  setuid: 'python: internal_error',
  setgid: 'python: internal_error',
  setpcap: 'python: internal_error',
  net_admin: 'loopback:',
  chown: "chown 'main.c': Operation not permitted",
  dac_override: "create 'main.c': Permission denied",
  fowner: "chown 'main.c': Operation not permitted",
} as const;
const CAPS = Object.keys(NEEDED) as (keyof typeof NEEDED)[];

const fixture = fileURLToPath(new URL('./capabilities.fixture.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

/** Runs the fixture as root with only `caps` in its bounding (and so permitted) set; returns its line. */
function probe(caps: readonly string[]): string {
  const bounding = ['-all', ...caps.map((c) => `+${c}`)].join(',');
  const result = spawnSync(
    'setpriv',
    ['--bounding-set', bounding, '--', process.execPath, '--import', 'tsx', fixture],
    { cwd: root, encoding: 'utf8', timeout: 120_000 },
  );
  if (result.error) throw result.error;
  return `${result.stdout.trim()}${result.status === 0 ? '' : ` (exit ${result.status}) ${result.stderr.slice(-500)}`}`;
}

describe('executor capabilities', () => {
  it('runs programs with exactly the needed capabilities', () => {
    expect(probe(CAPS)).toBe('ok');
  });

  it.each(CAPS)('fails without %s', (cap) => {
    expect(probe(CAPS.filter((c) => c !== cap))).toContain(NEEDED[cap]);
  });
});
