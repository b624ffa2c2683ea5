/**
 * The shape of `catalogue.yaml` as TypeBox schemas, and the translation of their errors into problems
 * that name the language, the field and what is wrong (`languages[3] (java).run must be a list of
 * strings ...`). Unknown keys are errors everywhere. What a schema cannot say (argv placeholders, the
 * version pattern's capture group, names used twice) is checked in `catalogue.ts`.
 */
import { KindGuard, Type } from '@sinclair/typebox';
import type { Static, TInteger, TObject, TOptional, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import type { ValueError } from '@sinclair/typebox/errors';
import type { RunLimits } from '../sandbox/types.js';
import { WARM_STARTS } from '../sandbox/index.js';
import { RUN_LIMIT_KEYS } from './limits.js';

/** What a problem says after the field's path when the value at (or below) this schema is wrong. */
interface Described {
  readonly expected?: string;
}

const ID = /^[a-z][a-z0-9]*$/;
const ALIAS = /^[a-z0-9][a-z0-9+#._-]*$/;
const FILE_PATH = /^(?!\/)(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9._/-]+$/;
const PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;
/** PATH and HOME are the executor's: a language may not set them. */
const ENV_NAME = /^(?!(?:PATH|HOME)$)[A-Za-z_][A-Za-z0-9_]*$/;
const EDITOR_MODE = /^[a-z0-9+#-]+$/;

const strict = { additionalProperties: false } as const;
const text = (expected = 'must be a non-empty string') => Type.String({ minLength: 1, expected });
const matching = (pattern: RegExp, expected: string) => Type.String({ pattern: pattern.source, expected });
const argv = (expected: string) => Type.Array(Type.String(), { expected });
const ARGV_TEMPLATE = 'must be a list of strings (an argv template, never shell text)';
const PositiveWhole = Type.Integer({
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  expected: 'must be a positive whole number',
});

/** One optional `item` per run limit (`cpuTimeMs`, `memoryBytes`, ...). */
function perLimit<T extends TSchema>(
  item: T,
  expected: string,
): TObject<Record<keyof RunLimits, TOptional<T>>> {
  const properties = {} as Record<keyof RunLimits, TOptional<T>>;
  for (const key of RUN_LIMIT_KEYS) properties[key] = Type.Optional(item) as TOptional<T>;
  return Type.Object(properties, { ...strict, expected });
}

const LimitAdjust = Type.Object(
  {
    min: Type.Optional(PositiveWhole),
    factor: Type.Optional(
      Type.Number({
        minimum: 1,
        expected: 'must be a number of at least 1 (adjustments only ever raise limits)',
      }),
    ),
  },
  { ...strict, minProperties: 1, expected: 'must be a mapping with min and/or factor' },
);

export const LanguageEntry = Type.Object(
  {
    id: matching(ID, 'must be lower-case letters and digits, starting with a letter'),
    name: text(),
    aliases: Type.Array(matching(ALIAS, 'must be lowercase'), { expected: 'must be a list of strings' }),
    sourceFile: matching(FILE_PATH, 'must be a relative path inside the workspace'),
    compile: Type.Union([Type.Null(), argv(ARGV_TEMPLATE)], { expected: `${ARGV_TEMPLATE}, or null` }),
    run: argv(ARGV_TEMPLATE),
    version: Type.Object(
      {
        argv: Type.Array(Type.String(), { minItems: 1, expected: 'must be a non-empty list of strings' }),
        pattern: text(),
        stdin: Type.Optional(Type.String({ expected: 'must be a string (what the version command reads)' })),
      },
      { ...strict, expected: 'must be a mapping with argv and pattern' },
    ),
    packages: Type.Array(matching(PACKAGE, 'is not a Debian package name'), {
      minItems: 1,
      expected: 'must be a non-empty list of Debian package names',
    }),
    env: Type.Record(
      Type.String({ pattern: ENV_NAME.source }),
      Type.String({ expected: 'must be a string (quote numbers)' }),
      {
        ...strict,
        expected: 'must be a mapping of variable names to strings',
        unknownKey: 'is not a variable name a language may set (PATH and HOME are set by the executor)',
      },
    ),
    limitAdjust: perLimit(LimitAdjust, 'must be a mapping of limit names to { min, factor }'),
    compileLimits: perLimit<TInteger>(PositiveWhole, 'must be a mapping of limit names to numbers'),
    editorMode: matching(EDITOR_MODE, 'must be a CodeMirror mode: lower-case letters, digits, +, # and -'),
    starter: text(),
    starterStdin: Type.Optional(Type.String({ expected: 'must be a string' })),
    supportFiles: Type.Optional(
      Type.Array(
        Type.Object(
          {
            path: matching(FILE_PATH, 'must be a relative path inside the workspace'),
            content: Type.String({ expected: 'must be a string' }),
          },
          { ...strict, expected: 'must be a mapping with path and content' },
        ),
        { expected: 'must be a list' },
      ),
    ),
    warm: Type.Optional(
      Type.Union(
        WARM_STARTS.map((name) => Type.Literal(name)),
        { expected: `must be one of: ${WARM_STARTS.join(', ')}` },
      ),
    ),
  },
  { ...strict, expected: 'must be a mapping' },
);
export type LanguageEntry = Static<typeof LanguageEntry>;

/** The file itself; its entries are checked one by one so that each problem can name its language. */
export const CatalogueFile = Type.Object(
  { languages: Type.Array(Type.Unknown(), { minItems: 1, expected: 'must be a non-empty list' }) },
  { ...strict, expected: 'must be a mapping with a "languages" list' },
);

export const entryCheck = TypeCompiler.Compile(LanguageEntry);
export const fileCheck = TypeCompiler.Compile(CatalogueFile);

/** `/supportFiles/0/path` as segments. */
function segmentsOf(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** `where` followed by `.supportFiles[0].path`; the file itself when both are empty. */
function locate(where: string, segments: readonly string[]): string {
  let path = where;
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) path += `[${segment}]`;
    else path += path === '' ? segment : `.${segment}`;
  }
  return path === '' ? 'the file' : path;
}

/** The schemas from `root` down along `segments`, as far as objects, records and arrays lead. */
function lineage(root: TSchema, segments: readonly string[]): TSchema[] {
  const chain = [root];
  let node: TSchema | undefined = root;
  for (const segment of segments) {
    if (KindGuard.IsObject(node)) node = node.properties[segment];
    else if (KindGuard.IsRecord(node)) node = Object.values(node.patternProperties)[0];
    else if (KindGuard.IsArray(node)) node = node.items;
    else node = undefined;
    if (node === undefined) break;
    chain.push(node);
  }
  return chain;
}

/** The value at `segments` below `value`. */
function valueAt(value: unknown, segments: readonly string[]): unknown {
  let node = value;
  for (const segment of segments)
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[segment] : undefined;
  return node;
}

function describe(root: TSchema, value: unknown, error: ValueError, where: string): string[] {
  const segments = segmentsOf(error.path);
  const key = segments.at(-1) ?? '';
  const parent = locate(where, segments.slice(0, -1));
  if (error.type === ValueErrorType.ObjectRequiredProperty) return [`${parent}: missing key "${key}"`];
  if (error.type === ValueErrorType.ObjectAdditionalProperties && KindGuard.IsRecord(error.schema)) {
    // TypeBox stops at a record's first refused key; every one of them is reported.
    const { unknownKey = 'is not a valid key' } = error.schema as { unknownKey?: string };
    const pattern = new RegExp(Object.keys(error.schema.patternProperties)[0] ?? '');
    const keys = Object.keys(valueAt(value, segments.slice(0, -1)) ?? {}).filter(
      (name) => !pattern.test(name),
    );
    return keys.map((name) => `${parent}: "${name}" ${unknownKey}`);
  }
  if (error.type === ValueErrorType.ObjectAdditionalProperties) {
    const allowed = KindGuard.IsObject(error.schema) ? Object.keys(error.schema.properties) : [];
    return [`${parent}: unknown key "${key}" (allowed: ${allowed.join(', ')})`];
  }
  // The deepest schema on the way that says what it expects speaks: a list of strings with a number in
  // it is "a list of strings" that is wrong, not its item.
  const chain = lineage(root, segments);
  for (let depth = chain.length - 1; depth >= 0; depth--) {
    const expected = (chain[depth] as Described).expected;
    if (expected === undefined) continue;
    const at = locate(where, segments.slice(0, depth));
    const { type, value: wrong } = error;
    return [
      type === ValueErrorType.StringPattern && typeof wrong === 'string'
        ? `${at} "${wrong}" ${expected}`
        : `${at} ${expected}`,
    ];
  }
  return [`${locate(where, segments)}: ${error.message}`];
}

/** Every problem of `value` against `check`'s schema, each once, prefixed with `where`. */
export function shapeProblems(check: TypeCheck<TSchema>, value: unknown, where: string): string[] {
  const problems = new Set<string>();
  const seen = new Set<string>();
  for (const error of check.Errors(value)) {
    // A missing key is also a wrong value at the same path: the first error of a path says it best.
    if (seen.has(error.path)) continue;
    seen.add(error.path);
    for (const problem of describe(check.Schema(), value, error, where)) problems.add(problem);
  }
  return [...problems];
}
