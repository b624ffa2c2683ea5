import { describe, expect, it } from 'vitest';
import type { RunResult } from '../sandbox/types.js';
import { CompileCache, type CompileKeyInput } from './compile-cache.js';

const compile: RunResult = {
  verdict: 'ok',
  timeLimit: null,
  exitCode: 0,
  signal: null,
  cpuTimeMs: 1,
  wallTimeMs: 2,
  memoryBytes: 3,
  stdout: Buffer.alloc(0),
  stderr: Buffer.alloc(0),
  stdoutTruncated: false,
  stderrTruncated: false,
  warmStart: false,
  error: null,
};

const language = { id: 'c', installedVersion: '12.2.0', compile: ['gcc', '{source}'], env: {} };
const input = (overrides: Partial<CompileKeyInput> = {}): CompileKeyInput => ({
  language,
  files: [{ path: 'main.c', content: Buffer.from('int main(){}') }],
  compilerArgs: ['-O2'],
  ...overrides,
});

const entry = (bytes: number) => ({ files: [{ path: 'f', content: Buffer.alloc(bytes - 1) }], compile });

describe('CompileCache.key', () => {
  it('is stable for identical input', () => {
    expect(CompileCache.key(input())).toBe(CompileCache.key(input()));
  });

  it.each<[string, Partial<CompileKeyInput>]>([
    ['the installed version', { language: { ...language, installedVersion: '13.1.0' } }],
    ['the language', { language: { ...language, id: 'cpp' } }],
    ['a file name', { files: [{ path: 'other.c', content: Buffer.from('int main(){}') }] }],
    ['a file mode', { files: [{ path: 'main.c', content: Buffer.from('int main(){}'), mode: 0o755 }] }],
    ['a file content', { files: [{ path: 'main.c', content: Buffer.from('int main(){ }') }] }],
    ['the compiler arguments', { compilerArgs: ['-O3'] }],
    ['how arguments are split', { compilerArgs: ['-O', '2'] }],
    ['the language environment', { language: { ...language, env: { X: '1' } } }],
  ])('changes with %s', (_name, overrides) => {
    expect(CompileCache.key(input(overrides))).not.toBe(CompileCache.key(input()));
  });

  it('does not confuse a boundary moved between file name and content', () => {
    const a = input({ files: [{ path: 'ab', content: Buffer.from('c') }] });
    const b = input({ files: [{ path: 'a', content: Buffer.from('bc') }] });
    expect(CompileCache.key(a)).not.toBe(CompileCache.key(b));
  });
});

describe('CompileCache', () => {
  it('counts hits and misses', () => {
    const cache = new CompileCache({ maxBytes: 1000 });
    expect(cache.get('k')).toBeUndefined();
    cache.set('k', entry(10));
    expect(cache.get('k')?.compile).toBe(compile);
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, entries: 1, bytes: 10 });
  });

  it('evicts the least recently used entries to stay within maxBytes', () => {
    const cache = new CompileCache({ maxBytes: 30 });
    cache.set('a', entry(10));
    cache.set('b', entry(10));
    cache.set('c', entry(10));
    cache.get('a');
    cache.set('d', entry(10));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.get('d')).toBeDefined();
    expect(cache.stats().bytes).toBe(30);
  });

  it('does not keep an entry larger than the whole cache', () => {
    const cache = new CompileCache({ maxBytes: 5 });
    cache.set('big', entry(10));
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });

  it('replaces an entry stored again under the same key', () => {
    const cache = new CompileCache({ maxBytes: 100 });
    cache.set('k', entry(10));
    cache.set('k', entry(20));
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: 20 });
  });
});
