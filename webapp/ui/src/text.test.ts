import { describe, expect, it } from 'vitest';
import {
  cleanTerminalText,
  decodeBase64,
  encodeBase64,
  hexDump,
  joinArgs,
  showBytes,
  showText,
  splitArgs,
} from './text.js';

describe('cleanTerminalText', () => {
  it.each([
    ['colour codes are removed', '\u001b[31mred\u001b[0m', 'red'],
    ['cursor movement is removed', 'a\u001b[2Kb\u001b[1;1H', 'ab'],
    ['OSC titles are removed', '\u001b]0;title\u0007text', 'text'],
    ['carriage returns become newlines', 'a\r\nb\rc', 'a\nb\nc'],
    ['NUL and bell become visible symbols', 'a\u0000b\u0007', 'a\u2400b\u2407'],
    ['tabs and newlines stay', 'a\tb\n', 'a\tb\n'],
    ['markup stays plain text', '<img src=x onerror=alert(1)>', '<img src=x onerror=alert(1)>'],
  ])('%s', (_name, input, expected) => {
    expect(cleanTerminalText(input)).toBe(expected);
  });
});

describe('showBytes', () => {
  it('decodes UTF-8 text without a note', () => {
    expect(showBytes(new TextEncoder().encode('héllo\n'))).toEqual({ text: 'héllo\n', note: null });
  });

  it('shows bytes that are not UTF-8 as a hex dump with a note', () => {
    const shown = showBytes(new Uint8Array([0xff, 0xfe, 0x00, 0x41]));
    expect(shown.note).toMatch(/not text \(4 bytes\)/);
    expect(shown.text).toBe(`00000000  ${'ff fe 00 41'.padEnd(47)}  ...A`);
  });
});

describe('showText', () => {
  it('flags text full of replacement characters as binary', () => {
    expect(showText('\ufffd\ufffd\ufffdab').note).toMatch(/not text/);
    expect(showText('plain').note).toBeNull();
  });
});

describe('encodeBase64', () => {
  it('round-trips every byte value, also past its chunk size', () => {
    const bytes = new Uint8Array(70_000).map((_, i) => i % 256);
    expect(decodeBase64(encodeBase64(bytes))).toEqual(bytes);
    expect(encodeBase64(new TextEncoder().encode('héllo'))).toBe(Buffer.from('héllo').toString('base64'));
  });
});

describe('hexDump', () => {
  it('stops at the limit', () => {
    expect(hexDump(new Uint8Array(64), 32).split('\n')).toHaveLength(2);
  });
});

describe('splitArgs', () => {
  it.each([
    ['', []],
    ['a b  c', ['a', 'b', 'c']],
    ['"two words" x', ['two words', 'x']],
    ["'it''s' \"\"", ['its', '']],
    ['a\\ b "q\\"x" $HOME', ['a b', 'q"x', '$HOME']],
  ])('splits %j', (line, expected) => {
    expect(splitArgs(line)).toEqual(expected);
  });

  it('round-trips through joinArgs', () => {
    const args = ['plain', 'two words', '', 'quote"d', 'back\\slash'];
    expect(splitArgs(joinArgs(args))).toEqual(args);
  });
});
