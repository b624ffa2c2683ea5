/**
 * Output comparison for test cases. Programs differ in harmless ways (a trailing space after the last
 * number, `\r\n` from a Windows habit, a missing or extra final newline), and judges that fail those
 * frustrate people without catching bugs. So, byte for byte except that:
 * - whitespace at the end of every line (spaces, tabs, `\r`, vertical tab, form feed) is ignored;
 * - trailing empty lines, and so any number of final newlines, are ignored.
 * Leading whitespace, blank lines in the middle and every other byte still count. Comparison is on bytes,
 * so binary and invalid UTF-8 output compare exactly.
 */

const TRAILING = new Set([0x20, 0x09, 0x0d, 0x0b, 0x0c]);

function normalisedLines(data: Uint8Array): Buffer[] {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const lines: Buffer[] = [];
  let start = 0;
  for (;;) {
    const newline = buffer.indexOf(0x0a, start);
    const end = newline < 0 ? buffer.length : newline;
    let stop = end;
    while (stop > start && TRAILING.has(buffer[stop - 1]!)) stop -= 1;
    lines.push(buffer.subarray(start, stop));
    if (newline < 0) break;
    start = newline + 1;
  }
  while (lines.length > 0 && lines[lines.length - 1]!.length === 0) lines.pop();
  return lines;
}

export function outputsMatch(actual: Uint8Array, expected: Uint8Array): boolean {
  const a = normalisedLines(actual);
  const b = normalisedLines(expected);
  return a.length === b.length && a.every((line, index) => line.equals(b[index]!));
}
