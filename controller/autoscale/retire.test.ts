import { describe, expect, it } from 'vitest';
import type { ExecutorBeat } from './queue-source.js';
import { chooseRetirees, containerOf } from './retire.js';

const beat = (id: string, busy: number, state = 'running'): ExecutorBeat => ({
  id,
  slots: 2,
  busy,
  state,
  deadline: Number.MAX_SAFE_INTEGER,
});

// Executor ids are `<first 12 characters of the container id>-<pid>`.
const A = 'aaaaaaaaaaaa';
const B = 'bbbbbbbbbbbb';
const C = 'cccccccccccc';
const full = (short: string) => `${short}${'0'.repeat(52)}`;

describe('choosing the executors to retire', () => {
  const beats = [beat(`${A}-1`, 2), beat(`${B}-1`, 0), beat(`${C}-1`, 1), beat('host-7', 0)];
  const cases: Array<[name: string, count: number, among: string[] | undefined, chosen: string[]]> = [
    ['the least busy first, anywhere, for a scale-in', 2, undefined, [`${B}-1`, 'host-7']],
    ['only among the containers of the fullest node, for a move', 1, [full(A), full(C)], [`${C}-1`]],
    ['a busy one when the node has no idle one: it finishes its runs first', 1, [full(A)], [`${A}-1`]],
    ['short container ids match too', 1, [A], [`${A}-1`]],
    ['none when no executor runs in those containers', 1, [full('dddddddddddd')], []],
    ['none when the containers are not known', 1, [], []],
    ['an executor without a container id is never one of the named', 3, [full(B)], [`${B}-1`]],
    ['no more than there are', 9, undefined, [`${B}-1`, 'host-7', `${C}-1`, `${A}-1`]],
    ['nothing for a count of zero', 0, undefined, []],
  ];
  it.each(cases)('%s', (_name, count, among, chosen) => {
    expect(chooseRetirees(beats, count, among)).toEqual(chosen);
  });

  it('passes over executors already draining or starting', () => {
    const mixed = [beat(`${A}-1`, 0, 'draining'), beat(`${B}-1`, 3), beat(`${C}-1`, 0, 'starting')];
    expect(chooseRetirees(mixed, 3, undefined)).toEqual([`${B}-1`]);
  });

  it('breaks ties by id, so a retried choice is the same', () => {
    const tied = [beat(`${C}-1`, 0), beat(`${A}-1`, 0), beat(`${B}-1`, 0)];
    expect(chooseRetirees(tied, 2, undefined)).toEqual([`${A}-1`, `${B}-1`]);
    expect(chooseRetirees([...tied].reverse(), 2, undefined)).toEqual([`${A}-1`, `${B}-1`]);
  });

  it('reads the container from an executor id', () => {
    expect(containerOf(`${A}-42`)).toBe(A);
    expect(containerOf('laptop-42')).toBeUndefined();
  });
});
