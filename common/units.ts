/**
 * Human quantities, as operators and submitters write them: durations ("2s", "1500ms", "5m", "7d") and
 * sizes ("256MiB", "64k", "1GB"). A plain number means milliseconds for a duration and bytes for a size.
 * The one parser of units for the API's limits, the environment and the desired-state file.
 */

/** A quantity that is not understood; `field` names what was being read. */
export class UnitParseError extends Error {
  override readonly name: string = 'UnitParseError';
  constructor(
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

const QUANTITY = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/;

function parseQuantity(
  field: string,
  value: unknown,
  units: Readonly<Record<string, number>>,
  what: string,
): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw new UnitParseError(field, `${field} must be a non-negative number`);
    return Math.round(value);
  }
  if (typeof value !== 'string')
    throw new UnitParseError(field, `${field} must be a number or a string like ${what}`);
  const match = QUANTITY.exec(value);
  const unit = match?.[2]?.toLowerCase() ?? '';
  const factor = unit === '' ? 1 : units[unit];
  if (!match || factor === undefined) {
    throw new UnitParseError(
      field,
      `${field} "${value.slice(0, 40)}" is not understood; write it like ${what}`,
    );
  }
  const result = Math.round(Number(match[1]) * factor);
  if (!Number.isSafeInteger(result)) throw new UnitParseError(field, `${field} is too large`);
  return result;
}

/**
 * Milliseconds from "2s", "1500ms", "1m", "12h", "7d" or a number of milliseconds. `example` is the
 * hint an error gives: a run's time limit is never days, a retention period rarely milliseconds.
 */
export function parseDurationMs(
  value: unknown,
  field = 'duration',
  example = '"2s", "500ms" or "7d"',
): number {
  return parseQuantity(field, value, DURATION_UNITS, example);
}

/** Bytes from "256MiB", "64k", "1GB" or a number of bytes. */
export function parseBytes(value: unknown, field = 'size'): number {
  return parseQuantity(field, value, SIZE_UNITS, '"256MiB" or "64KiB"');
}
