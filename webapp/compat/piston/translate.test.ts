import { describe, expect, it } from 'vitest';
import type { PublishedLanguage } from '../../../common/languages.js';
import { DEFAULT_LIMITS, MAX_LIMITS } from '../../../common/limits.js';
import { findRuntime, pistonRuntimes, versionMatches } from './runtimes.js';
import { PistonRequestError, toSubmissionBody } from './translate.js';
import { publishedLanguage } from '../../../test/support/published-language.js';

function language(id: string, extra: Partial<PublishedLanguage> = {}): PublishedLanguage {
  return publishedLanguage(id, { version: '3.11.2', ...extra });
}

const python = language('python', { aliases: ['python3', 'py'], sourceFile: 'main.py' });
const cpp = language('cpp', { aliases: ['c++', 'g++'], version: '12.2.0', sourceFile: 'main.cpp' });
const java = language('java', { version: '17.0.9', sourceFile: 'Main.java' });

describe('versionMatches', () => {
  it.each([
    ['*', '3.11.2', true],
    ['3.11.2', '3.11.2', true],
    ['3.11', '3.11.2', true],
    ['3', '3.11.2', true],
    ['3.x', '3.11.2', true],
    ['3.1', '3.11.2', false],
    ['3.11.2.1', '3.11.2', false],
    ['2.7.0', '3.11.2', false],
  ])('%s against %s is %s', (wanted, installed, expected) => {
    expect(versionMatches(wanted, installed)).toBe(expected);
  });
});

describe('runtimes', () => {
  it('names C++ as Piston does and leaves out languages that are not installed', () => {
    const runtimes = pistonRuntimes([python, cpp, language('ruby', { available: false })]);
    expect(runtimes.map((r) => r.language)).toEqual(['python', 'c++']);
    expect(runtimes[1]).toMatchObject({ runtime: 'gcc' });
    expect(runtimes[1]?.aliases).toEqual(expect.arrayContaining(['cpp', 'g++']));
  });

  it('finds a runtime by alias and version prefix', () => {
    expect(findRuntime([python, cpp], 'cpp', '12')?.language.id).toBe('cpp');
    expect(findRuntime([python, cpp], 'py', '3.11')?.language.id).toBe('python');
    expect(findRuntime([python, cpp], 'python', '3.12')).toBeUndefined();
  });

  it("answers to Piston's names for Common Lisp, R and SQLite", () => {
    const lisp = language('commonlisp', { version: '2.2.9' });
    const r = language('r', { version: '4.2.2' });
    const sql = language('sql', { version: '3.40.1' });
    expect(pistonRuntimes([lisp, r, sql]).map((l) => l.language)).toEqual(['lisp', 'rscript', 'sqlite3']);
    expect(findRuntime([lisp, r, sql], 'sbcl', '*')?.language.id).toBe('commonlisp');
    expect(findRuntime([lisp, r, sql], 'r', '4')?.language.id).toBe('r');
    expect(findRuntime([lisp, r, sql], 'sqlite3', '3.40')?.language.id).toBe('sql');
  });
});

describe('toSubmissionBody', () => {
  const hello = { language: 'python', version: '*', files: [{ content: 'print(1)' }] };

  it('names a nameless entry file after the language and keeps the operator defaults', () => {
    const body = toSubmissionBody(hello, python, MAX_LIMITS);
    expect(body.files?.[0]?.name).toBe('main.py');
    expect(body.limits).toEqual({});
    expect(body.encoding).toBe('base64');
  });

  it('names a pasted Java file after its public class', () => {
    const source =
      '// public class Wrong\nimport java.util.*;\npublic final class Solution { public static void main(String[] a) {} }';
    const body = toSubmissionBody({ ...hello, files: [{ content: source }] }, java, MAX_LIMITS);
    expect(body.files?.[0]?.name).toBe('Solution.java');
  });

  it('takes -1 as the operator maximum and 0 as the default', () => {
    const body = toSubmissionBody(
      { ...hello, run_memory_limit: -1, run_timeout: 0, run_cpu_time: 1500 },
      python,
      { ...DEFAULT_LIMITS, memoryBytes: 512 * 1024 ** 2 },
    );
    expect(body.limits).toEqual({ memory: 512 * 1024 ** 2, cpu_time: 1500 });
  });

  it.each([
    [{ run_timeout: 10 ** 9 }, `run_timeout cannot exceed the configured limit of ${MAX_LIMITS.wallTimeMs}`],
    [{ run_memory_limit: -2 }, 'run_memory_limit must be non-negative'],
    [{ compile_timeout: -3 }, 'compile_timeout must be non-negative'],
    [{ files: [{ content: 'zz', encoding: 'hex' }] }, 'files[0].content is not valid hex'],
    [
      { files: [{ content: 'AAAA', encoding: 'base64' }] },
      'files must include at least one utf8 encoded file',
    ],
    [{ files: [{ content: 'x', encoding: 'latin1' }] }, 'files[0].encoding must be one of utf8, base64, hex'],
  ])('refuses %j with "%s"', (extra, message) => {
    expect(() => toSubmissionBody({ ...hello, ...extra }, python, MAX_LIMITS)).toThrow(
      new PistonRequestError(message),
    );
  });

  it('moves the first UTF-8 file to the front, since RemCode runs the first file', () => {
    const body = toSubmissionBody(
      {
        ...hello,
        files: [{ name: 'data.bin', content: 'AAE=', encoding: 'base64' }, { content: 'print(1)' }],
      },
      python,
      MAX_LIMITS,
    );
    expect(body.files?.map((f) => f.name)).toEqual(['main.py', 'data.bin']);
  });
});
