import { describe, expect, it } from 'vitest';
import type { DesiredFile } from '../desired/schema.js';
import { buildServiceSpec, specMode } from './spec.js';

function containerSpec(file: DesiredFile): Record<string, unknown> {
  const spec = buildServiceSpec(file, 'box', new Map(), { seccomp: false });
  return (spec.TaskTemplate as { ContainerSpec: Record<string, unknown> }).ContainerSpec;
}

describe('buildServiceSpec', () => {
  it('names capabilities as Docker does, and passes ALL through as the engine expects it', () => {
    const spec = containerSpec({
      version: 1,
      stack: 'st',
      services: { box: { image: 'x:1', cap_drop: ['ALL'], cap_add: ['SYS_ADMIN', 'CAP_CHOWN'] } },
    });
    // The engine refuses "CAP_ALL" ("unknown capability"), so every task of the service would fail.
    expect(spec).toMatchObject({ CapabilityDrop: ['ALL'], CapabilityAdd: ['CAP_SYS_ADMIN', 'CAP_CHOWN'] });
  });

  it('sets a read-only root filesystem only when the file says so', () => {
    const base = { version: 1 as const, stack: 'st' };
    expect(containerSpec({ ...base, services: { box: { image: 'x:1', read_only: true } } }).ReadOnly).toBe(
      true,
    );
    expect(containerSpec({ ...base, services: { box: { image: 'x:1' } } })).not.toHaveProperty('ReadOnly');
  });

  it('makes a job a replicated-job of one completion, retried on failure only, with no rollout', () => {
    const file: DesiredFile = {
      version: 1,
      stack: 'st',
      services: { box: { image: 'x:1', mode: 'job', restart_policy: { delay: '2s', max_attempts: 5 } } },
    };
    const spec = buildServiceSpec(file, 'box', new Map(), { seccomp: false });
    expect(spec.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } });
    expect((spec.TaskTemplate as Record<string, unknown>).RestartPolicy).toEqual({
      Condition: 'on-failure',
      Delay: 2_000_000_000,
      MaxAttempts: 5,
    });
    // Swarm refuses a rollout policy on a job; it runs a changed job again instead.
    expect(spec).not.toHaveProperty('UpdateConfig');
    expect(spec).not.toHaveProperty('RollbackConfig');
    expect(specMode(spec)).toBe('job');
  });

  it('keeps a replicated service replicated, restarted on any exit', () => {
    const spec = buildServiceSpec(
      { version: 1, stack: 'st', services: { box: { image: 'x:1' } } },
      'box',
      new Map(),
      { seccomp: false },
    );
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect((spec.TaskTemplate as Record<string, unknown>).RestartPolicy).toMatchObject({ Condition: 'any' });
    expect(specMode(spec)).toBe('replicated');
  });
});
