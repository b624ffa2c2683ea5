import { describe, expect, it } from 'vitest';
import { RunGate } from './run-gate.js';

const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('RunGate', () => {
  it('lets `limit` in at once and the rest in arrival order', async () => {
    const gate = new RunGate(2);
    const a = await gate.enter();
    await gate.enter();
    expect(gate.running).toBe(2);
    const order: string[] = [];
    const c = gate.enter().then((leave) => (order.push('c'), leave));
    const d = gate.enter().then((leave) => (order.push('d'), leave));
    expect(await settled(c)).toBe(false);
    a();
    (await c)();
    await d;
    expect(order).toEqual(['c', 'd']);
    expect(gate.running).toBe(2);
  });

  it('counts a leave once however often it is called', async () => {
    const gate = new RunGate(1);
    const leave = await gate.enter();
    leave();
    leave();
    expect(gate.running).toBe(0);
    await gate.enter();
    expect(await settled(gate.enter())).toBe(false);
  });

  it('withdraws an aborted waiter without losing the place it would have had', async () => {
    const gate = new RunGate(1);
    const leave = await gate.enter();
    const controller = new AbortController();
    const quitter = gate.enter(controller.signal);
    const patient = gate.enter();
    controller.abort(new Error('cancelled'));
    await expect(quitter).rejects.toThrow('cancelled');
    leave();
    expect(await settled(patient)).toBe(true);
    expect(gate.running).toBe(1);
  });

  it('refuses an already aborted signal at once, even with room', async () => {
    const gate = new RunGate(1);
    await expect(gate.enter(AbortSignal.abort(new Error('too late')))).rejects.toThrow('too late');
    expect(gate.running).toBe(0);
  });

  it('fails waiters and later entries once closed', async () => {
    const gate = new RunGate(1);
    await gate.enter();
    const waiting = gate.enter();
    gate.close(new Error('closed'));
    await expect(waiting).rejects.toThrow('closed');
    await expect(gate.enter()).rejects.toThrow('closed');
  });
});
