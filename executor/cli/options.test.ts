import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../common/limits.js';
import { parseCommandLine, UsageError } from './options.js';

function options(argv: string[]) {
  const parsed = parseCommandLine(argv);
  if (parsed.help) throw new Error('unexpected --help');
  return parsed;
}

describe('parseCommandLine', () => {
  it('parses limits written the human way', () => {
    const parsed = options([
      '--lang',
      'python',
      '--time',
      '2s',
      '--memory',
      '256MiB',
      '--wall',
      '5s',
      'main.py',
    ]);
    expect(parsed.limits).toMatchObject({ cpuTimeMs: 2000, wallTimeMs: 5000, memoryBytes: 256 * 1024 ** 2 });
    expect(parsed.files).toEqual(['main.py']);
  });

  it('splits files from program arguments at -- and keeps dashes after it', () => {
    const parsed = options(['--lang', 'c', 'main.c', 'util.c', '--', '--verbose', 'a b', '--']);
    expect(parsed.files).toEqual(['main.c', 'util.c']);
    expect(parsed.args).toEqual(['--verbose', 'a b', '--']);
  });

  it('collects repeated compiler arguments as separate items', () => {
    expect(
      options(['--lang', 'c', '--compiler-arg', '-O3', '--compiler-arg', '-DX=1 2', 'main.c']).compilerArgs,
    ).toEqual(['-O3', '-DX=1 2']);
  });

  it('uses the service defaults and stretches the wall limit to cover the CPU limit', () => {
    expect(options(['--lang', 'py', 'a.py']).limits).toEqual({ ...DEFAULT_LIMITS });
    expect(options(['--lang', 'py', '--time', '10s', 'a.py']).limits.wallTimeMs).toBe(21_000);
  });

  it.each([
    [['main.py'], /--lang is required/],
    [['--lang', 'py'], /at least one source file/],
    [['--lang', 'py', '--time', 'soon', 'a.py'], /not understood/],
    [['--lang', 'py', '--processes', '0', 'a.py'], /at least 1/],
    [['--lang', 'py', '--memory', '10', 'a.py'], /at least 1MiB/],
    [['--lang', 'py', '--colour', 'a.py'], /Unknown option/],
    [['--lang', 'py', 'x/a.py', 'y/a.py'], /two files are named a.py/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });

  it('answers --help without requiring anything else', () => {
    expect(parseCommandLine(['--help'])).toEqual({ help: true });
  });
});
