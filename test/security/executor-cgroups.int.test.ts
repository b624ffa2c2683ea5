/**
 * The executor container as the shipped manifest starts it (its capabilities, its seccomp setting, its
 * read-only root, its mounts: no bind of the host's /sys/fs/cgroup) on this engine's cgroups. Its runs' cgroups must lie
 * below the container's own cgroup, so that the container's memory limit bounds a run whose own limit
 * is larger, and no mount in the container may show a cgroup hierarchy above its own cgroup, where
 * a hierarchy's release_agent (run by the kernel as host root) lives. Builds the Python and C pool
 * image (cached after test/images/executor-pool.int.test.ts).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDef } from '../../controller/desired/schema.js';
import { PAIR_IMAGE as image, executorRunOptions, pairExecutor } from '../support/executor-container.js';

const run = promisify(execFile);
const name = `remcode-cgroups-${process.pid}`;
/** The container's memory limit; the runs below ask for more than this. */
const CONTAINER_MEMORY = '300m';

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 1 << 24, timeout: 120_000 });
  return stdout;
}

/** Judges `source` as Python with `remcode-run` inside the container; returns its JSON result. */
async function remcodeRun(source: string, memory: string): Promise<Record<string, unknown>> {
  await docker(
    'exec',
    name,
    'node',
    '-e',
    "require('fs').writeFileSync('/tmp/probe.py', process.argv[1])",
    source,
  );
  const out = await docker(
    'exec',
    name,
    'node',
    'dist/executor/cli/remcode-run.js',
    '--lang',
    'python',
    '--memory',
    memory,
    '--time',
    '10s',
    '/tmp/probe.py',
  );
  return JSON.parse(out) as Record<string, unknown>;
}

function firstTest(result: Record<string, unknown>): { verdict: string; result: Record<string, unknown> } {
  return (result['tests'] as { verdict: string; result: Record<string, unknown> }[])[0]!;
}

/**
 * Run as the container's command, so it is what the image's entry point starts (the executor's place):
 * mounts the memory hierarchy afresh, tries the calls that would set or reach a release_agent another
 * way, lists what /proc shows, judges one program, then detaches its /proc to see what lies beneath.
 * Prints one JSON line. util-linux is told to use mount(2), not the new mount API, so that both
 * filters are asked the same question on every release.
 */
const INSIDE = `
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const env = { ...process.env, LIBMOUNT_FORCE_MOUNT2: 'always' };
const attempt = (command, args) => {
  try { execFileSync(command, args, { env, stdio: 'ignore' }); return 'done'; } catch { return 'refused'; }
};
fs.mkdirSync('/tmp/fresh');
execFileSync('mount', ['-t', 'cgroup', '-o', 'memory', 'remcode-probe', '/tmp/fresh'], { env });
const fresh = fs.readdirSync('/tmp/fresh');
fs.mkdirSync('/tmp/scratch');
execFileSync('mount', ['-t', 'tmpfs', 'remcode-probe', '/tmp/scratch'], { env });
const calls = {
  remountSuperblock: attempt('mount', ['-o', 'remount,size=2m', '/tmp/scratch']),
  remountMount: attempt('mount', ['-o', 'remount,bind,ro', '/tmp/scratch']),
  joinNamespace: attempt('nsenter', ['--cgroup=/proc/self/ns/cgroup', 'true']),
  userNamespace: attempt('unshare', ['--user', 'true']),
};
// The helper picks its cgroup mounts from mountinfo: leave it only the engine's.
execFileSync('umount', ['/tmp/fresh', '/tmp/scratch']);
const processes = fs.readdirSync('/proc').filter((name) => /^[0-9]+$/.test(name));
fs.writeFileSync('/tmp/hello.py', "print('judged')");
const judged = JSON.parse(execFileSync('node', ['dist/executor/cli/remcode-run.js', '--lang', 'python', '/tmp/hello.py'], { encoding: 'utf8' }));
// Lazily, as the mask mounts below it would keep a plain umount busy; it takes the topmost /proc only.
execFileSync('umount', ['-l', '/proc']);
console.log(JSON.stringify({
  releaseAgent: fresh.includes('release_agent'),
  memoryFiles: fresh.includes('memory.limit_in_bytes'),
  ...calls,
  pid: process.pid,
  processes,
  judged: judged.tests[0].verdict + ': ' + judged.tests[0].result.stdout.trim(),
  beneathProc: fs.readdirSync('/proc').length,
}));
`;

let ownMemoryCgroup = '';
let executor: ServiceDef;

beforeAll(async () => {
  executor = await pairExecutor();
  // The test is about what the container sees of the cgroup tree: every mount the manifest gives it
  // is given here, and a bind of the host's cgroups would show up in the checks below.
  const args = ['run', '-d', '--name', name, ...executorRunOptions(executor)];
  args.push('--memory', CONTAINER_MEMORY, '--memory-swap', CONTAINER_MEMORY);
  args.push(image, 'node', '-e', 'setInterval(() => {}, 1 << 30)');
  await docker(...args);
  const own = await docker('exec', name, 'cat', '/proc/1/cgroup');
  ownMemoryCgroup = /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(.*)$/m.exec(own)?.[1] ?? '';
  expect(ownMemoryCgroup, own).not.toBe('');
}, 1_600_000);

afterAll(async () => {
  await docker('rm', '-f', name).catch(() => undefined);
});

describe('the executor container on this engine', () => {
  it('mounts no cgroup hierarchy above its own cgroup, so no release_agent is within reach', async () => {
    const own = await docker('exec', name, 'cat', '/proc/1/cgroup');
    const paths = new Map<string, string>();
    for (const line of own.trim().split('\n')) {
      const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
      for (const controller of (controllers ?? '').split(',')) if (controller) paths.set(controller, path!);
    }
    const mountinfo = await docker('exec', name, 'cat', '/proc/1/mountinfo');
    const cgroupMounts = mountinfo
      .trim()
      .split('\n')
      .map((line) => line.split(' '))
      .filter((fields) => fields[fields.indexOf('-') + 1] === 'cgroup');
    expect(cgroupMounts.length).toBeGreaterThan(0);
    for (const fields of cgroupMounts) {
      const superOptions = fields[fields.indexOf('-') + 3]!.split(',');
      const controller = superOptions.find((option) => paths.has(option));
      // The mount's root (field 4) is the container's own cgroup in that hierarchy, never above it.
      expect({ mount: fields[4], root: fields[3] }).toEqual({
        mount: fields[4],
        root: paths.get(controller ?? '') ?? '(no cgroup of ours in this hierarchy)',
      });
    }
    const found = await docker('exec', name, 'find', '/sys/fs/cgroup', '-name', 'release_agent');
    expect(found.trim()).toBe('');
  });

  it('shows no release_agent to the executor, and refuses the other roads to one, on any engine', async () => {
    const probe = async (options: { bypass?: boolean; engineDefaultSeccomp?: boolean }) => {
      const args = ['run', '--rm', ...executorRunOptions(executor, options)];
      if (options.bypass) args.push('--entrypoint', 'node', image);
      else args.push(image, 'node');
      const out = await docker(...args, '-e', INSIDE);
      return JSON.parse(out) as Record<string, unknown>;
    };
    // Without the image's entry point, under the engine's default profile (what Swarm on an engine
    // older than API 1.44 runs): the executor shares the host's cgroup namespace, CAP_SYS_ADMIN mounts
    // the hierarchy from its root, release_agent and all, and remounts a superblock (how release_agent
    // is set on an existing mount), joins a namespace and makes a user namespace.
    expect(await probe({ bypass: true, engineDefaultSeccomp: true })).toMatchObject({
      releaseAgent: true,
      memoryFiles: true,
      remountSuperblock: 'done',
      remountMount: 'done',
      joinNamespace: 'done',
      userNamespace: 'done',
    });
    // Through it, under the engine's default profile and under the manifest's: the fresh mount's root
    // is the container's own cgroup, and the entry point's filter refuses the rest (a per-mount remount
    // stays: the helper uses it). The executor is PID 1 of a namespace where no process the engine
    // starts (the entry point, `docker exec`, healthchecks) is visible, and beneath its /proc there is
    // nothing: the container's /proc is detached.
    const through = {
      releaseAgent: false,
      memoryFiles: true,
      remountSuperblock: 'refused',
      remountMount: 'done',
      joinNamespace: 'refused',
      userNamespace: 'refused',
      pid: 1,
      processes: ['1'],
      judged: 'accepted: judged',
      beneathProc: 0,
    };
    expect(await probe({ engineDefaultSeccomp: true })).toEqual(through);
    expect(await probe({})).toEqual(through);
  });

  it("puts each run's cgroup below the container's own", async () => {
    const result = await remcodeRun("print(open('/proc/self/cgroup').read())\n", '256MiB');
    const test = firstTest(result);
    expect(test.verdict, JSON.stringify(result)).toBe('accepted');
    const memoryLine = String(test.result['stdout'])
      .split('\n')
      .find((line) => /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:/.test(line));
    expect(memoryLine?.split(':')[2]).toMatch(new RegExp(`^${ownMemoryCgroup}/remcode/[^/]+$`));
  });

  it("stops a run at the container's memory limit even when the run's own limit is larger", async () => {
    const source = [
      'blocks = []',
      'for i in range(12):',
      '    blocks.append(bytearray(50 * 1024 * 1024))',
      "    print('allocated', (i + 1) * 50, 'MiB', flush=True)",
      "print('done')",
      '',
    ].join('\n');
    const result = await remcodeRun(source, '1GiB');
    const test = firstTest(result);
    // 600 MiB fits the run's 1 GiB but not the container's 300 MiB: the kernel kills it at the latter.
    expect(test.verdict, JSON.stringify(result)).not.toBe('accepted');
    expect(String(test.result['stdout'])).not.toContain('done');
    // The container and its executor are still there to judge the next run.
    const after = await remcodeRun("print('still here')\n", '64MiB');
    expect(firstTest(after).verdict).toBe('accepted');
  });
});
