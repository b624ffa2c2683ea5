import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Whether a run's memory limit also bounds swap. The native helper sets `memory.swap.max` to 0 (cgroup
 * v2) or `memory.memsw.limit_in_bytes` to the limit (v1), and silently skips the file when the kernel
 * does not account swap (booted without swap accounting, `swapaccount=0`, or without
 * CONFIG_MEMCG_SWAP). Where swap is on, a run could then use the limit in RAM and as much again in
 * swap, which docs/sandbox.md promises it cannot: the executor refuses to start there instead.
 */

export interface SwapCheck {
  /** Swap space on the machine, from /proc/meminfo. */
  readonly swapBytes: number;
  /** The cgroup file that caps swap exists where the runs' cgroups are made. */
  readonly capped: boolean;
  readonly cgroupVersion: 1 | 2;
  /** The file looked for. */
  readonly file: string;
}

export class SwapUncappedError extends Error {
  override readonly name = 'SwapUncappedError';
  constructor(readonly check: SwapCheck) {
    super(
      `swap is on (${Math.round(check.swapBytes / 2 ** 20)} MiB) and this kernel does not account it in ` +
        `cgroups (${check.file} is missing), so runs could use swap beyond their memory limit; turn swap ` +
        'off, boot with swap accounting (cgroup v1: swapaccount=1), or set EXECUTOR_ALLOW_UNCAPPED_SWAP=on ' +
        'to accept it (docs/sandbox.md)',
    );
  }
}

function swapBytes(root: string): number {
  const meminfo = readFileSync(join(root, 'proc/meminfo'), 'utf8');
  const kib = /^SwapTotal:\s+(\d+) kB$/m.exec(meminfo)?.[1];
  return kib === undefined ? 0 : Number(kib) * 1024;
}

/**
 * Looks at the machine as the helper will: `root` is `/` except in tests. On v2 the file is in the
 * process's own cgroup (the root cgroup has none, but a container's cgroup namespace root is a real
 * child); on v1 at the memory hierarchy's mount, where the kernel creates it in every cgroup or none.
 */
export function checkSwap(root = '/'): SwapCheck {
  const cgroupRoot = join(root, 'sys/fs/cgroup');
  const v2 = existsSync(join(cgroupRoot, 'cgroup.controllers'));
  let file: string;
  if (v2) {
    const own = /^0::(\/.*)$/m.exec(readFileSync(join(root, 'proc/self/cgroup'), 'utf8'))?.[1] ?? '/';
    file = join(cgroupRoot, own, 'memory.swap.max');
  } else {
    file = join(cgroupRoot, 'memory', 'memory.memsw.limit_in_bytes');
  }
  let capped = existsSync(file);
  if (v2 && !capped && dirname(file) === cgroupRoot) {
    // In the real root cgroup, which has no memory.swap.* files: its children tell.
    capped = readdirSync(cgroupRoot, { withFileTypes: true }).some(
      (entry) => entry.isDirectory() && existsSync(join(cgroupRoot, entry.name, 'memory.swap.max')),
    );
  }
  return { swapBytes: swapBytes(root), capped, cgroupVersion: v2 ? 2 : 1, file };
}

/** Throws SwapUncappedError where swap is on, cannot be capped, and the operator has not accepted that. */
export function assertSwapCapped(allowUncapped: boolean, root = '/'): SwapCheck {
  const check = checkSwap(root);
  if (check.swapBytes > 0 && !check.capped && !allowUncapped) throw new SwapUncappedError(check);
  return check;
}
