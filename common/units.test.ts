import { describe, expect, it } from 'vitest';
import { UnitParseError, parseBytes, parseDurationMs } from './units.js';

describe('parseDurationMs', () => {
  it.each([
    ['2s', 2000],
    ['1500ms', 1500],
    ['0.5s', 500],
    [' 3 s ', 3000],
    ['1m', 60_000],
    ['12h', 43_200_000],
    ['7d', 7 * 86_400_000],
    ['1.5d', 36 * 3_600_000],
    [250, 250],
    ['250', 250],
  ])('reads %j as %i ms', (input, ms) => {
    expect(parseDurationMs(input)).toBe(ms);
  });

  it.each([['2 seconds'], ['-1s'], ['s'], [''], [-5], [Number.NaN], [Infinity], [{}], [null], ['1e3s']])(
    'rejects %j',
    (input) => {
      expect(() => parseDurationMs(input)).toThrow(UnitParseError);
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
    expect(() => parseBytes(input)).toThrow(UnitParseError);
  });
});
