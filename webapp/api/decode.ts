import type { PublishedLanguage } from '../../common/languages.js';
import { resolveLanguage } from '../../common/languages.js';
import { LimitParseError, resolveLimits } from '../../common/limits.js';
import type { SubmissionLimits } from '../../common/limits.js';
import type { SubmissionInput } from '../../common/submission.js';
import { entryFileName } from './entry-file.js';
import { ProblemError } from './errors.js';
import type { SubmissionBody } from './schemas.js';

export interface DecodeOptions {
  readonly languages: readonly PublishedLanguage[];
  readonly maxFileBytes: number;
  readonly limitDefaults: SubmissionLimits;
  readonly limitMaxima: SubmissionLimits;
}

export interface DecodedSubmission {
  readonly language: PublishedLanguage;
  readonly encoding: 'utf8' | 'base64';
  readonly input: SubmissionInput;
  readonly limits: SubmissionLimits;
}

/** Upper bound of all output one submission may store (every stream of every test case). */
export const MAX_STORED_OUTPUT_BYTES = 32 * 1024 ** 2;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const FILE_NAME = /^[A-Za-z0-9_+-][A-Za-z0-9_.+-]*(\/[A-Za-z0-9_+-][A-Za-z0-9_.+-]*)*$/;

/** In a `u` regular expression a paired surrogate is one code point, so only a lone half matches. */
const LONE_SURROGATE = /\p{Cs}/u;

function invalid(code: string, title: string, detail?: string): ProblemError {
  return new ProblemError(422, code, title, detail);
}

function decodeBytes(text: string, encoding: 'utf8' | 'base64', field: string, maxBytes: number): Buffer {
  let bytes: Buffer;
  if (encoding === 'base64') {
    const compact = text.replace(/\s+/g, '');
    // Node decodes garbage silently, so the alphabet and padding are checked first.
    if (compact.length % 4 === 1 || !BASE64.test(compact)) {
      throw invalid(
        'invalid_base64',
        `${field} is not valid base64`,
        `encoding is "base64", so ${field} must be base64 text`,
      );
    }
    bytes = Buffer.from(compact, 'base64');
  } else {
    // UTF-8 cannot encode a lone surrogate; Node would put U+FFFD in its place and change the input.
    if (LONE_SURROGATE.test(text))
      throw invalid(
        'invalid_text',
        `${field} is not valid Unicode text`,
        `${field} holds a lone surrogate (\\ud800 to \\udfff); send such bytes with encoding "base64"`,
      );
    bytes = Buffer.from(text, 'utf8');
  }
  if (bytes.length > maxBytes) {
    throw new ProblemError(
      413,
      'field_too_large',
      `${field} is too large`,
      `${field} has ${bytes.length} bytes; the limit is ${maxBytes}`,
    );
  }
  return bytes;
}

function checkArgv(items: readonly string[] | undefined, field: string): string[] {
  const out = [...(items ?? [])];
  for (const item of out) {
    // argv items reach execve as C strings; a NUL would silently cut them.
    if (item.includes('\0'))
      throw invalid('invalid_argument', `${field} items may not contain NUL characters`);
    // Stored as JSON text in Postgres, which refuses lone surrogates; they are not text anyway.
    if (LONE_SURROGATE.test(item))
      throw invalid(
        'invalid_argument',
        `${field} items must be valid Unicode text`,
        'an item holds a lone surrogate (\\ud800 to \\udfff)',
      );
  }
  return out;
}

/** A lone `source` is named as its language's users would have named the file. */
function sourceFile(language: PublishedLanguage, content: Buffer): { name: string; content: Buffer } {
  return { name: entryFileName(language, content), content };
}

function checkFileName(name: string): void {
  if (!FILE_NAME.test(name) || name.split('/').some((segment) => segment === '..' || segment === '.')) {
    throw invalid(
      'invalid_file_name',
      'A file name is not allowed',
      `"${name.slice(0, 64)}": use letters, digits, "_", "-", "+", "." and "/" between parts, no "..", not starting with "/"`,
    );
  }
}

/**
 * Turns a schema-valid body into a submission, or throws a 4xx ProblemError. It never throws anything
 * else for any input, which the fuzz test checks.
 */
export function decodeSubmission(body: SubmissionBody, options: DecodeOptions): DecodedSubmission {
  if (options.languages.length === 0) {
    // No executor has started yet (or Redis was emptied): a moment's wait, not the client's mistake.
    throw new ProblemError(
      503,
      'no_executors',
      'No executor is ready to run code yet',
      'Try again in a few seconds',
      {
        'retry-after': '5',
      },
    );
  }
  const language = resolveLanguage(options.languages, body.language);
  if (!language) {
    const known = options.languages.filter((l) => l.available).map((l) => l.id);
    throw invalid(
      'unknown_language',
      `Unknown language "${body.language.slice(0, 64)}"`,
      `The running executors serve: ${known.join(', ') || 'none'}`,
    );
  }
  if (!language.available) {
    throw invalid(
      'language_unavailable',
      `${language.name} is not installed on the executors`,
      language.unavailableReason ?? undefined,
    );
  }
  if (body.version !== undefined && !(language.version ?? '').startsWith(body.version.trim())) {
    throw invalid(
      'version_unavailable',
      `${language.name} ${body.version.slice(0, 64)} is not installed`,
      `The installed version is ${language.version ?? 'unknown'}`,
    );
  }
  const encoding = body.encoding ?? 'utf8';
  if ((body.source === undefined) === (body.files === undefined)) {
    throw invalid('invalid_source', 'Send exactly one of "source" and "files"');
  }
  const max = options.maxFileBytes;
  const files =
    body.files !== undefined
      ? body.files.map((f, i) => {
          checkFileName(f.name);
          return { name: f.name, content: decodeBytes(f.content, encoding, `files[${i}].content`, max) };
        })
      : [sourceFile(language, decodeBytes(body.source ?? '', encoding, 'source', max))];
  const names = new Set(files.map((f) => f.name));
  if (names.size !== files.length) throw invalid('invalid_file_name', 'Two files have the same name');

  let limits: SubmissionLimits;
  try {
    limits = resolveLimits(body.limits, options.limitDefaults, options.limitMaxima);
  } catch (error) {
    if (error instanceof LimitParseError)
      throw invalid('invalid_limits', 'A limit is not valid', error.message);
    throw error;
  }

  // The stored result holds both streams of every test case; keep the whole of it bounded.
  const runs = body.tests?.length ?? 1;
  limits = {
    ...limits,
    outputBytes: Math.min(limits.outputBytes, Math.floor(MAX_STORED_OUTPUT_BYTES / (2 * runs))),
  };

  return {
    language,
    encoding,
    limits,
    input: {
      files,
      stdin: decodeBytes(body.stdin ?? '', encoding, 'stdin', max),
      args: checkArgv(body.args, 'args'),
      compilerArgs: checkArgv(body.compiler_args, 'compiler_args'),
      tests:
        body.tests?.map((t, i) => ({
          stdin: decodeBytes(t.stdin ?? '', encoding, `tests[${i}].stdin`, max),
          expectedOutput:
            t.expected_output === undefined || t.expected_output === null
              ? null
              : decodeBytes(t.expected_output, encoding, `tests[${i}].expected_output`, max),
        })) ?? null,
    },
  };
}
