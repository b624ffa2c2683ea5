import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS,
  LimitParseError,
  MAX_LIMITS,
  parseBytes,
  parseDurationMs,
  parseLimitList,
  resolveLimits,
} from './limits.js';

describe('parseDurationMs', () => {
  it.each([
    ['2s', 2000],
    ['1500ms', 1500],
    ['0.5s', 500],
    [' 3 s ', 3000],
    ['1m', 60_000],
    [250, 250],
    ['250', 250],
  ])('reads %j as %i ms', (input, ms) => {
    expect(parseDurationMs(input)).toBe(ms);
  });

  it.each([['2 seconds'], ['-1s'], ['s'], [''], [-5], [Number.NaN], [Infinity], [{}], [null], ['1e3s']])(
    'rejects %j',
    (input) => {
      expect(() => parseDurationMs(input)).toThrow(LimitParseError);
    },
  );
});

describe('parseBytes', () => {
  it.each([
    ['256MiB', 256 * 1024 ** 2],
    ['64k', 64 * 1024],
    ['1GB', 1e9],
    ['1.5KiB', 1536],
    [4096, 4096],
  ])('reads %j as %i bytes', (input, bytes) => {
    expect(parseBytes(input)).toBe(bytes);
  });

  it.each([['12 parsecs'], ['MiB'], ['99999999999999999999GiB'], [true]])('rejects %j', (input) => {
    expect(() => parseBytes(input)).toThrow(LimitParseError);
  });
});

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
