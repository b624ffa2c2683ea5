import { describe, expect, it } from 'vitest';
import { ArgvTemplateError, checkTemplate, expandArgv, sourceStem } from './argv.js';

describe('expandArgv', () => {
  it('replaces {source} and splices lists as separate items', () => {
    expect(
      expandArgv(['gcc', '-o', 'main', '{compiler_args...}', '{sources...}', '-lm'], {
        source: 'main.c',
        sources: ['main.c', 'util.c'],
        compilerArgs: ['-DX=1', '-O3'],
      }),
    ).toEqual(['gcc', '-o', 'main', '-DX=1', '-O3', 'main.c', 'util.c', '-lm']);
  });

  it('keeps hostile user text as single items, never re-split', () => {
    const args = ['a b', '; rm -rf /', '$(id)', '\n--flag', ''];
    expect(expandArgv(['python3', '{source}', '{args...}'], { source: 'main.py', args })).toEqual([
      'python3',
      'main.py',
      ...args,
    ]);
  });

  it('drops an empty splice entirely and defaults {sources...} to the entry file', () => {
    expect(expandArgv(['tsc', '{compiler_args...}', '{sources...}'], { source: 'main.ts' })).toEqual([
      'tsc',
      'main.ts',
    ]);
  });

  it('gives {source_stem} the entry path without its last extension', () => {
    expect(expandArgv(['java', '{source_stem}'], { source: 'Main.java' })).toEqual(['java', 'Main']);
    expect(sourceStem('src/main.ts')).toBe('src/main');
    expect(sourceStem('a.b/Makefile')).toBe('a.b/Makefile');
    expect(sourceStem('.hidden')).toBe('.hidden');
  });

  it('rejects placeholders embedded in longer items and unknown placeholders', () => {
    expect(() => expandArgv(['gcc', '-o{source}'], { source: 'x' })).toThrow(ArgvTemplateError);
    expect(() => expandArgv(['gcc', '{sourcez}'], { source: 'x' })).toThrow(/not a known placeholder/);
    expect(checkTemplate(['{source}'])).toEqual(['argv[0] cannot be the placeholder {source}']);
    expect(checkTemplate([])).toEqual(['argv is empty']);
  });
});
