import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_UID_BASE, defaultUidBase } from './index.js';

/**
 * Two executors on one node (two replicas, or the old and the new task of a start-first update) each run
 * in a PID namespace of their own; their slots must not share uids.
 */

const fixture = fileURLToPath(new URL('./slot-uids.fixture.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));
const children: ChildProcess[] = [];

/** Starts the fixture in a new PID namespace and resolves with its `uid` line, leaving it running. */
function executorInItsOwnNamespace(): Promise<{ base: number; runUid: number }> {
  const child = spawn('unshare', ['--pid', '--fork', process.execPath, '--import', 'tsx', fixture], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /^uid (\d+) (\d+)$/m.exec(output);
      if (match) resolve({ base: Number(match[1]), runUid: Number(match[2]) });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`the executor exited (${code}) before running:\n${output}`)),
    );
  });
}

afterAll(async () => {
  for (const child of children) {
    child.stdin?.end();
    if (child.exitCode === null && child.signalCode === null)
      await new Promise((resolve) => child.once('exit', resolve));
  }
});

describe('slot uids', () => {
  it('differ between two executors running side by side in their own PID namespaces', async () => {
    const [a, b] = await Promise.all([executorInItsOwnNamespace(), executorInItsOwnNamespace()]);
    expect(a.runUid).toBe(a.base);
    expect(b.runUid).toBe(b.base);
    expect(a.base).not.toBe(b.base);
    // Blocks of 1024: no slot of one is a slot of the other.
    expect(Math.abs(a.base - b.base)).toBeGreaterThanOrEqual(1024);
    // Neither is the block of an executor in the machine's own PID namespace.
    expect(Math.min(a.base, b.base)).toBeGreaterThanOrEqual(DEFAULT_UID_BASE + 1024);
  });

  it("start at 61000 in the machine's own PID namespace (npm start), above it in any other", () => {
    // PROC_PID_INIT_INO: the initial PID namespace's fixed inode number.
    const initial = statSync('/proc/self/ns/pid').ino === 0xeffffffc;
    if (initial) expect(defaultUidBase()).toBe(DEFAULT_UID_BASE);
    else expect(defaultUidBase()).toBeGreaterThanOrEqual(DEFAULT_UID_BASE + 1024);
  });
});
