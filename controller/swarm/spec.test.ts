import { describe, expect, it } from 'vitest';
import type { DesiredFile } from '../desired/schema.js';
import { buildServiceSpec } from './spec.js';

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
});
