import { describe, expect, it } from 'vitest';
import { conditionsOf, updateConditions, type Condition } from './conditions.js';

const earlier = new Date('2026-01-01T10:00:00.000Z');
const now = new Date('2026-01-01T11:00:00.000Z');

function judged(previous: readonly Condition[], standing: Parameters<typeof conditionsOf>[0]) {
  return updateConditions(previous, conditionsOf(standing, 2), now);
}

describe('service conditions', () => {
  const ready = updateConditions(
    [],
    conditionsOf({ kind: 'ready', message: '1/1 tasks running' }, 1),
    earlier,
  );

  it('reports Ready alone while everything runs, and Reconciling or Stalled beside a false Ready', () => {
    expect(ready).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'Succeeded',
        message: '1/1 tasks running',
        observedGeneration: 1,
        lastTransitionTime: earlier.toISOString(),
      },
    ]);
    const stalled = judged(ready, { kind: 'stalled', reason: 'Blocked', message: 'update paused' });
    expect(stalled.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'False', 'Blocked'],
      ['Stalled', 'True', 'Blocked'],
    ]);
    const pending = judged([], {
      kind: 'reconciling',
      reason: 'Pending',
      message: 'no valid desired state yet',
    });
    expect(pending.map((c) => [c.type, c.status])).toEqual([
      ['Ready', 'Unknown'],
      ['Reconciling', 'True'],
    ]);
  });

  it('keeps the transition time while the status holds, whatever the message', () => {
    const next = judged(ready, { kind: 'ready', message: '3/3 tasks running' });
    expect(next[0]).toMatchObject({ lastTransitionTime: earlier.toISOString(), observedGeneration: 2 });
  });

  it('takes a new transition time when the status flips', () => {
    const next = judged(ready, { kind: 'reconciling', reason: 'Progressing', message: '1/3 tasks running' });
    expect(next.map((c) => c.lastTransitionTime)).toEqual([now.toISOString(), now.toISOString()]);
  });

  it('drops a Stalled condition once it no longer holds', () => {
    const stalled = judged(ready, { kind: 'stalled', reason: 'ApplyFailed', message: 'no such image' });
    const recovered = updateConditions(
      stalled,
      conditionsOf({ kind: 'ready', message: '1/1 tasks running' }, 3),
    );
    expect(recovered.map((c) => c.type)).toEqual(['Ready']);
  });
});
