import { describe, expect, it } from 'vitest';
import { ArgumentError, compilerOptions, splitArguments } from './arguments.js';

describe('splitArguments', () => {
  it.each([
    ['a b  c', ['a', 'b', 'c']],
    ['"b c" d', ['b c', 'd']],
    ['\'$HOME\' "$HOME" $HOME', ['$HOME', '$HOME', '$HOME']],
    ['a\\ b', ['a b']],
    ['"say \\"hi\\""', ['say "hi"']],
    ["x'y z'w", ['xy zw']],
    ['""', ['']],
    ['*.txt; rm -rf /', ['*.txt;', 'rm', '-rf', '/']],
    ['', []],
  ])('splits %j into %j with nothing expanded', (text, argv) => {
    expect(splitArguments(text)).toEqual(argv);
  });

  it('refuses an unterminated quote', () => {
    expect(() => splitArguments('"open')).toThrow(ArgumentError);
    expect(() => splitArguments("'open")).toThrow(ArgumentError);
  });
});

describe('compilerOptions', () => {
  it.each([
    ['c', '-O2 -std=c11 -Wall -DN=5 -lm', ['-O2', '-std=c11', '-Wall', '-DN=5', '-lm']],
    ['cpp', '-std=gnu++20 -fno-exceptions', ['-std=gnu++20', '-fno-exceptions']],
    ['java', '-Xlint:all', ['-Xlint:all']],
    ['rust', '-Copt-level=3', ['-Copt-level=3']],
    ['csharp', '-optimize- -define:DEBUG', ['-optimize-', '-define:DEBUG']],
  ])('takes allowed %s flags as argv items: %j', (language, text, argv) => {
    expect(compilerOptions(text, language)).toEqual(argv);
  });

  it.each([
    ['c', '-O2\n-o /box/x'],
    ['c', '-O2;id'],
    ['c', '-o main'],
    ['c', '-fplugin=/tmp/p.so'],
    ['c', '-specs=/tmp/s'],
    ['c', '@/etc/passwd'],
    ['c', '-wrapper /bin/sh'],
    ['cpp', '-include /etc/shadow'],
    ['c', '$(id)'],
    ['rust', '-C linker=/bin/sh'],
    ['python', '-O'],
  ])('refuses %s options %j', (language, text) => {
    expect(() => compilerOptions(text, language)).toThrow(ArgumentError);
  });
});
