import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SwapUncappedError, assertSwapCapped, checkSwap } from './swap.js';

/** A machine's /proc and /sys/fs/cgroup as files, for the layouts this machine does not have. */
const roots: string[] = [];
function machine(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'remcode-swap-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

const SWAP_ON = 'MemTotal:       4000000 kB\nSwapTotal:       1048576 kB\nSwapFree:        1048576 kB\n';
const SWAP_OFF = 'MemTotal:       4000000 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n';

describe('swap check', () => {
  it.each([
    [
      'v1, swap on, memsw accounted',
      { 'proc/meminfo': SWAP_ON, 'sys/fs/cgroup/memory/memory.memsw.limit_in_bytes': '' },
      true,
    ],
    [
      'v1, swap on, no memsw',
      { 'proc/meminfo': SWAP_ON, 'sys/fs/cgroup/memory/memory.limit_in_bytes': '' },
      false,
    ],
    [
      'v1, swap off, no memsw',
      { 'proc/meminfo': SWAP_OFF, 'sys/fs/cgroup/memory/memory.limit_in_bytes': '' },
      true,
    ],
    [
      'v2 in a service cgroup with swap.max',
      {
        'proc/meminfo': SWAP_ON,
        'proc/self/cgroup': '0::/system.slice/docker-1.scope\n',
        'sys/fs/cgroup/cgroup.controllers': 'memory pids',
        'sys/fs/cgroup/system.slice/docker-1.scope/memory.swap.max': 'max',
      },
      true,
    ],
    [
      'v2 without swap accounting',
      {
        'proc/meminfo': SWAP_ON,
        'proc/self/cgroup': '0::/system.slice/docker-1.scope\n',
        'sys/fs/cgroup/cgroup.controllers': 'memory pids',
        'sys/fs/cgroup/system.slice/docker-1.scope/memory.max': 'max',
      },
      false,
    ],
    [
      'v2 in the root cgroup, children accounting swap',
      {
        'proc/meminfo': SWAP_ON,
        'proc/self/cgroup': '0::/\n',
        'sys/fs/cgroup/cgroup.controllers': 'memory pids',
        'sys/fs/cgroup/init.scope/memory.swap.max': 'max',
      },
      true,
    ],
  ] as const)('%s: starts %s', (_name, files, starts) => {
    const root = machine(files);
    if (starts) expect(() => assertSwapCapped(false, root)).not.toThrow();
    else expect(() => assertSwapCapped(false, root)).toThrow(SwapUncappedError);
    // The operator's setting accepts it either way.
    expect(() => assertSwapCapped(true, root)).not.toThrow();
  });

  it('names the missing file, the swap size and the setting in its message', () => {
    const root = machine({ 'proc/meminfo': SWAP_ON, 'sys/fs/cgroup/memory/memory.limit_in_bytes': '' });
    expect(() => assertSwapCapped(false, root)).toThrow(
      /swap is on \(1024 MiB\).*memory\.memsw\.limit_in_bytes is missing.*EXECUTOR_ALLOW_UNCAPPED_SWAP=on/,
    );
  });

  it('reads this machine', () => {
    const check = checkSwap();
    expect(check.swapBytes).toBeGreaterThanOrEqual(0);
    expect([1, 2]).toContain(check.cgroupVersion);
  });
});
