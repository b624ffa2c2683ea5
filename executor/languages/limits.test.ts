import { describe, expect, it } from 'vitest';
import type { RunLimits } from '../sandbox/types.js';
import { adjustLimits, compileLimits, DEFAULT_COMPILE_LIMITS } from './limits.js';

const base: RunLimits = {
  cpuTimeMs: 1000,
  wallTimeMs: 3000,
  memoryBytes: 64 * 1024 ** 2,
  processes: 8,
  outputBytes: 1024,
  fileSizeBytes: 1024,
  openFiles: 64,
  stackBytes: 8 * 1024 ** 2,
  tmpBytes: 16 * 1024 ** 2,
};

describe('adjustLimits', () => {
  it('leaves limits alone when the language has no adjustments', () => {
    expect(adjustLimits({ limitAdjust: {} }, base)).toEqual(base);
  });

  it('raises a field to its minimum and multiplies by its factor, whichever is larger', () => {
    const adjusted = adjustLimits(
      {
        limitAdjust: {
          memoryBytes: { min: 512 * 1024 ** 2 },
          cpuTimeMs: { factor: 1.5 },
          processes: { min: 4, factor: 2 },
        },
      },
      base,
    );
    expect(adjusted.memoryBytes).toBe(512 * 1024 ** 2);
    expect(adjusted.cpuTimeMs).toBe(1500);
    expect(adjusted.processes).toBe(16);
    expect(adjusted.wallTimeMs).toBe(3000);
  });

  it('never lowers a limit that is already above the minimum', () => {
    expect(adjustLimits({ limitAdjust: { memoryBytes: { min: 1024 } } }, base).memoryBytes).toBe(
      base.memoryBytes,
    );
  });

  it('rounds fractional results up to whole units', () => {
    expect(
      adjustLimits({ limitAdjust: { cpuTimeMs: { factor: 1.0005 } } }, { ...base, cpuTimeMs: 1 }).cpuTimeMs,
    ).toBe(2);
  });
});

describe('compileLimits', () => {
  it('overrides only the fields the language sets', () => {
    expect(compileLimits({ compileLimits: { cpuTimeMs: 60_000 } })).toEqual({
      ...DEFAULT_COMPILE_LIMITS,
      cpuTimeMs: 60_000,
    });
  });
});
