import { describe, expect, it } from 'vitest';
import { outputsMatch } from './compare.js';

const b = (text: string) => Buffer.from(text, 'latin1');

describe('outputsMatch', () => {
  it.each([
    ['identical output', '1 2\n3\n', '1 2\n3\n'],
    ['a missing final newline', '42', '42\n'],
    ['extra final newlines', '42\n\n\n', '42\n'],
    ['trailing spaces and tabs at line ends', '1 2 \t\n3  \n', '1 2\n3\n'],
    ['Windows line endings', '1\r\n2\r\n', '1\n2\n'],
    ['empty output against only whitespace', '', ' \n\n'],
  ])('accepts %s', (_name, actual, expected) => {
    expect(outputsMatch(b(actual), b(expected))).toBe(true);
  });

  it.each([
    ['different text', '41\n', '42\n'],
    ['leading whitespace', ' 42\n', '42\n'],
    ['a blank line in the middle', '1\n\n2\n', '1\n2\n'],
    ['a missing line', '1\n', '1\n2\n'],
    ['whitespace inside a line', '1  2\n', '1 2\n'],
    ['different bytes of invalid UTF-8', '\xff\xfe\n', '\xff\xfd\n'],
  ])('rejects %s', (_name, actual, expected) => {
    expect(outputsMatch(b(actual), b(expected))).toBe(false);
  });

  it('compares a slice of a larger buffer by its own bytes only', () => {
    const whole = b('xx42\nyy');
    expect(outputsMatch(whole.subarray(2, 5), b('42'))).toBe(true);
  });
});
