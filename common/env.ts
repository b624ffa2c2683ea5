/**
 * Environment variables read through TypeBox schemas: a program describes its variables as one
 * `Type.Object` of strings (pattern, default, and a transform to the typed value), and `decodeEnv` checks
 * and decodes them in one pass. Every bad value becomes a `ConfigError` that names the variable.
 */
import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type {
  StaticDecode,
  TLiteral,
  TObject,
  TSchema,
  TString,
  TTransform,
  TUnion,
} from '@sinclair/typebox';
import { TransformDecodeError, Value } from '@sinclair/typebox/value';
import { UnitParseError, parseBytes, parseDurationMs } from './units.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** What a variable's schema carries besides JSON Schema's keywords. */
interface VariableOptions {
  /** What a value that fails the schema is told, after the variable's name: `must be on or off`. */
  readonly expected?: string;
  /** An empty value means "not set", so the default applies, rather than a value to check. */
  readonly emptyIsUnset?: boolean;
}

/** Thrown by a decoder: `message` follows the variable's name (`must be between 0 and 65535`). */
export class InvalidValue extends Error {
  override readonly name = 'InvalidValue';
}

/** A variable decoded by `decode` once its text passed `schema`. Configuration is never written back. */
export function readAs<S extends TSchema, T>(
  schema: S,
  decode: (text: StaticDecode<S>) => T,
): TTransform<S, T> {
  return Type.Transform(schema)
    .Decode(decode)
    .Encode(() => {
      throw new Error('configuration is read from the environment, never encoded');
    });
}

/** A whole number within [min, max]; an empty value takes the default. */
export function wholeNumber(min: number, max: number, fallback?: number): TTransform<TString, number> {
  const text = Type.String({
    pattern: '^\\s*\\d+\\s*$',
    expected: 'must be a whole number',
    emptyIsUnset: true,
    ...(fallback === undefined ? {} : { default: String(fallback) }),
  });
  return readAs(text, (value) => {
    const number = Number(value);
    if (number < min || number > max) throw new InvalidValue(`must be between ${min} and ${max}`);
    return number;
  });
}

/** Milliseconds from "10s", "7d" (common/units.ts); the default is written the same way. */
export const duration = (fallback: string): TTransform<TString, number> =>
  readAs(Type.String({ default: fallback, emptyIsUnset: true }), (text) => parseDurationMs(text));

/** Bytes from "4MiB", "64k" (common/units.ts); the default is written the same way. */
export const size = (fallback: string): TTransform<TString, number> =>
  readAs(Type.String({ default: fallback, emptyIsUnset: true }), (text) => parseBytes(text));

/** `on` or `off`, blanks around it allowed; empty or blank takes the default. */
export const onOff = (fallback: 'on' | 'off'): TTransform<TString, boolean> =>
  readAs(
    Type.String({ pattern: '^\\s*(on|off)?\\s*$', default: fallback, expected: 'must be on or off' }),
    (text) => (text.trim() || fallback) === 'on',
  );

/** Exactly one of `values`, as written. */
export function oneOf<const V extends readonly string[]>(
  values: V,
  fallback: V[number],
  expected: string,
): TUnion<TLiteral<V[number]>[]> {
  return Type.Union(
    values.map((value) => Type.Literal(value)),
    { default: fallback, expected },
  );
}

/** A URL with one of `protocols` (`'redis:'`). */
export function url(
  protocols: readonly string[],
  options: { default?: string; emptyIsUnset?: boolean } = {},
): TTransform<TString, URL> {
  return readAs(Type.String(options), (text) => {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw new InvalidValue('is not a URL');
    }
    if (!protocols.includes(parsed.protocol))
      throw new InvalidValue(`must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
    return parsed;
  });
}

/** Checks and decodes the variables `schema` names; every other variable of `env` is ignored. */
export function decodeEnv<T extends TObject>(schema: T, env: Env): StaticDecode<T> {
  const input: Record<string, string> = {};
  for (const [name, property] of Object.entries(schema.properties)) {
    const value = env[name];
    if (value === undefined || (value === '' && (property as VariableOptions).emptyIsUnset === true))
      continue;
    input[name] = value;
  }
  const values: unknown = Value.Default(schema, input);
  const mistake = Value.Errors(schema, values).First();
  if (mistake !== undefined) {
    // Every variable is a top-level string, so the error's path is `/NAME`.
    const name = mistake.path.slice(1);
    const expected = (schema.properties[name] as VariableOptions | undefined)?.expected ?? 'is not valid';
    const value = input[name];
    throw new ConfigError(
      name,
      value === undefined ? `${name} ${expected}` : `${name} ${expected}, not "${value}"`,
    );
  }
  try {
    return Value.Decode(schema, values);
  } catch (error) {
    if (!(error instanceof TransformDecodeError)) throw error;
    const name = error.path.slice(1);
    const cause: unknown = error.error;
    if (cause instanceof InvalidValue) throw new ConfigError(name, `${name} ${cause.message}`, { cause });
    const reason = cause instanceof UnitParseError ? cause.message : 'invalid value';
    throw new ConfigError(name, `${name}: ${reason}`, { cause });
  }
}

/** The trimmed contents of the file a `*_FILE` variable names (a Docker or Swarm secret). */
export function readSecretFile(variable: string, file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(variable, `${variable}: cannot read ${file}`, { cause: error });
  }
}

/** The path a `*_FILE` variable holds; empty means unset. */
export const secretFile = () => Type.Optional(Type.String({ emptyIsUnset: true }));
