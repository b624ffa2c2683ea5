import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, LimitParseError, MAX_LIMITS, parseLimitList, resolveLimits } from './limits.js';

describe('resolveLimits', () => {
  it('fills defaults, clamps to maxima and keeps values in between', () => {
    expect(
      resolveLimits({ cpu_time: '1s', wall_time: '10h', memory: '32MiB' }, DEFAULT_LIMITS, MAX_LIMITS),
    ).toEqual({
      ...DEFAULT_LIMITS,
      cpuTimeMs: 1000,
      wallTimeMs: MAX_LIMITS.wallTimeMs,
      memoryBytes: 32 * 1024 ** 2,
    });
  });

  it('lowers defaults that exceed the maxima', () => {
    expect(resolveLimits(undefined, DEFAULT_LIMITS, { ...MAX_LIMITS, cpuTimeMs: 500 }).cpuTimeMs).toBe(500);
  });

  it.each([
    [{ gpu: 1 }, 'unknown limit'],
    [{ processes: 1.5 }, 'whole number'],
    [{ memory: '1KiB' }, 'below the minimum'],
    [{ cpu_time: 0 }, 'below the minimum'],
  ])('rejects %j', (requested, message) => {
    expect(() => resolveLimits(requested, DEFAULT_LIMITS, MAX_LIMITS)).toThrow(message);
  });

  it('reports an unreadable time or size as a limit error that names the limit', () => {
    expect(() => resolveLimits({ wall_time: '2 seconds' }, DEFAULT_LIMITS, MAX_LIMITS)).toThrow(
      expect.objectContaining({ name: 'LimitParseError', field: 'wall_time' }) as Error,
    );
    expect(() => resolveLimits({ memory: 'lots' }, DEFAULT_LIMITS, MAX_LIMITS)).toThrow(LimitParseError);
  });
});

describe('parseLimitList', () => {
  it('reads operator settings over a base set', () => {
    expect(parseLimitList('cpu_time=5s, memory=512MiB', DEFAULT_LIMITS, 'X')).toEqual({
      ...DEFAULT_LIMITS,
      cpuTimeMs: 5000,
      memoryBytes: 512 * 1024 ** 2,
    });
  });

  it('rejects items without a value', () => {
    expect(() => parseLimitList('cpu_time', DEFAULT_LIMITS, 'X')).toThrow('is not name=value');
  });
});
