/**
 * Two executors on one node: two replicas, or the old and the new task of a start-first update. Each
 * lives in a PID namespace of its own (its container), and on cgroup v1 (or v2 without a private cgroup
 * namespace) both put their runs' cgroups under the same parent. Neither may take the other's cgroups
 * for stale ones: a helper's pid means nothing outside its own namespace.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createSandbox, type Sandbox } from './index.js';
import type { RunResult } from './types.js';
import { runCgroupParents } from '../../test/support/cgroups.js';
import { MiB, TEST_RUN_LIMITS } from '../../test/support/run-limits.js';

const CGROUP_NAME = 'remcode-executors';
const env = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' };

/** A pid that belongs to no process now: one of a child that has just been reaped. */
function deadPid(): number {
  const child = spawnSync('/bin/true');
  if (child.pid === undefined) throw new Error('cannot spawn /bin/true');
  return child.pid;
}

function runOk(r: RunResult): { verdict: string; exitCode: number | null; stdout: string; stderr: string } {
  return {
    verdict: r.verdict,
    exitCode: r.exitCode,
    stdout: r.stdout.toString(),
    stderr: r.stderr.toString(),
  };
}

// Each sandbox removes its own runs' cgroups when it closes; the parents must be empty at the end.
afterAll(() => {
  const leftover: string[] = [];
  for (const parent of runCgroupParents(CGROUP_NAME)) {
    if (!existsSync(parent)) continue;
    const entries = readdirSync(parent, { withFileTypes: true });
    leftover.push(...entries.filter((e) => e.isDirectory()).map((e) => `${parent}/${e.name}`));
    if (leftover.length === 0) rmdirSync(parent);
  }
  expect(leftover).toEqual([]);
});

describe('stale-cgroup sweep', () => {
  const ownNamespace = statSync('/proc/self/ns/pid').ino;
  let leaves: Record<'foreign' | 'unstamped' | 'ownStale', string>;
  let parents: string[];

  beforeAll(() => {
    parents = runCgroupParents(CGROUP_NAME);
    const pid = deadPid();
    leaves = {
      // Another executor's live box: its namespace is not ours, and its helper's pid is not one of ours.
      foreign: `aaaa1111-n${ownNamespace + 1}-s0-p${pid}-r1`,
      // A leaf without a namespace: whose it is cannot be known.
      unstamped: `bbbb2222-s0-p${pid}-r1`,
      // Left by a helper of this executor that was killed: ours to remove.
      ownStale: `cccc3333-n${ownNamespace}-s0-p${pid}-r1`,
    };
    for (const parent of parents) {
      mkdirSync(parent, { recursive: true });
      for (const leaf of Object.values(leaves)) mkdirSync(`${parent}/${leaf}`, { recursive: true });
    }
  });

  afterAll(() => {
    for (const parent of parents ?? [])
      for (const leaf of Object.values(leaves ?? {})) {
        try {
          rmdirSync(`${parent}/${leaf}`);
        } catch {
          // Already removed by the sweep.
        }
      }
  });

  it("removes only its own executor's stale cgroups, never another executor's", async () => {
    const sandbox = await createSandbox({ slots: 1, uidBase: 61200, cgroupName: CGROUP_NAME });
    await sandbox.close();
    for (const parent of parents) {
      expect({ parent, foreign: existsSync(`${parent}/${leaves.foreign}`) }).toEqual({
        parent,
        foreign: true,
      });
      expect({ parent, unstamped: existsSync(`${parent}/${leaves.unstamped}`) }).toEqual({
        parent,
        unstamped: true,
      });
      expect({ parent, ownStale: existsSync(`${parent}/${leaves.ownStale}`) }).toEqual({
        parent,
        ownStale: false,
      });
    }
  });
});

describe('two executors side by side', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ slots: 2, uidBase: 61210, cgroupName: CGROUP_NAME });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('both run every job while the other, in its own PID namespace, restarts its helpers again and again', async () => {
    // The other executor: a process in a PID namespace of its own, as in a container, that starts a
    // sandbox on the same cgroup parent (so its helpers sweep at start-up), runs a job and closes it,
    // over and over, while this one runs jobs on both slots.
    const script = fileURLToPath(new URL('./executors-peer.fixture.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
    const peer = spawn(
      'unshare',
      ['--pid', '--fork', '--kill-child', tsx, script, CGROUP_NAME, '61220', '8'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let peerOut = '';
    peer.stdout.on('data', (c: Buffer) => (peerOut += c.toString()));
    peer.stderr.on('data', (c: Buffer) => (peerOut += c.toString()));
    const peerDone = new Promise<number | null>((resolve) => peer.on('close', (code) => resolve(code)));

    const results: ReturnType<typeof runOk>[] = [];
    let peerRunning = true;
    void peerDone.then(() => (peerRunning = false));
    const worker = async (): Promise<void> => {
      // At least a few jobs each, then as many as fit while the peer is still restarting.
      for (let i = 0; i < 4 || (peerRunning && i < 200); i++) {
        const ws = await sandbox.acquire({ sizeBytes: 8 * MiB });
        try {
          const r = await ws.run({ argv: ['/bin/sh', '-c', 'echo ok'], env, limits: TEST_RUN_LIMITS });
          results.push(runOk(r));
        } finally {
          await ws.release();
        }
      }
    };
    await Promise.all([worker(), worker()]);
    const code = await peerDone;
    expect({ code, peerOut }).toEqual({ code: 0, peerOut: 'peer: 8 restarts, every job ok\n' });
    expect(results.filter((r) => r.verdict !== 'ok' || r.stdout !== 'ok\n')).toEqual([]);
  });
});
