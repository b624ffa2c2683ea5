import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DesiredFile } from '../desired/schema.js';
import { buildServiceSpec, diffSpecs, specMode } from './spec.js';

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

  describe('seccomp', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spec-seccomp-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const profile = join(dir, 'profile.json');
    const file = (seccomp: NonNullable<DesiredFile['services'][string]['seccomp']>): DesiredFile => ({
      version: 1,
      stack: 'st',
      services: { box: { image: 'x:1', seccomp } },
    });
    const privileges = (spec: ReturnType<typeof buildServiceSpec>) =>
      ((spec.TaskTemplate as { ContainerSpec: Record<string, unknown> }).ContainerSpec.Privileges ??
        null) as {
        Seccomp: { Mode: string; Profile?: string };
      } | null;
    const context = { networkNames: new Map<string, string>() };

    it('sends a custom profile as base64 of its compact JSON, on engines that take it', () => {
      writeFileSync(
        profile,
        '{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [{ "names": ["read"], "action": "SCMP_ACT_ALLOW" }]\n}\n',
      );
      const spec = buildServiceSpec(file({ profile }), 'box', new Map(), { seccomp: true });
      const sent = privileges(spec)?.Seccomp;
      expect(sent?.Mode).toBe('custom');
      expect(JSON.parse(Buffer.from(sent?.Profile ?? '', 'base64').toString())).toEqual({
        defaultAction: 'SCMP_ACT_ERRNO',
        syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }],
      });
      // Older engines drop Privileges.Seccomp from a service spec: it is left out, not reported as drift.
      expect(
        privileges(buildServiceSpec(file({ profile }), 'box', new Map(), { seccomp: false })),
      ).toBeNull();
      expect(privileges(buildServiceSpec(file('unconfined'), 'box', new Map(), { seccomp: true }))).toEqual({
        Seccomp: { Mode: 'unconfined' },
      });
    });

    it('reports an edited profile as drift, by digest, and an unchanged one as none', () => {
      writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [] }));
      const before = buildServiceSpec(file({ profile }), 'box', new Map(), { seccomp: true });
      expect(diffSpecs(before, structuredClone(before), context)).toEqual([]);
      writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_KILL', syscalls: [] }));
      const after = buildServiceSpec(file({ profile }), 'box', new Map(), { seccomp: true });
      const diffs = diffSpecs(after, before, context);
      expect(diffs.map((diff) => diff.field)).toEqual(['seccomp_profile']);
      expect(diffs[0]?.desired).toMatch(/^sha256:[0-9a-f]{16}$/);
    });

    it('fails with the reason when the profile has gone bad since the file was loaded', () => {
      writeFileSync(profile, '{ "defaultAction": ');
      expect(() => buildServiceSpec(file({ profile }), 'box', new Map(), { seccomp: true })).toThrow(
        /seccomp profile .* is not JSON/,
      );
    });
  });
});
