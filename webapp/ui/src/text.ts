/**
 * Turns what a program wrote into something safe and readable: terminal control sequences are removed,
 * other control characters become visible symbols, and bytes that are not UTF-8 text are shown as a hex
 * dump instead of a wall of replacement characters.
 */

// CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), other two-character escapes, and C1 CSI.
const ESCAPES =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

export function cleanTerminalText(text: string): string {
  return text
    .replace(ESCAPES, '')
    .replace(/\r\n/g, '\n')
    .replace(/\r/g, '\n')
    .replace(CONTROLS, (c) => (c === '\u007f' ? '\u2421' : String.fromCharCode(0x2400 + c.charCodeAt(0))));
}

export interface ShownOutput {
  readonly text: string;
  /** Why the text is not shown as the program wrote it, or null. */
  readonly note: string | null;
  /** A hex dump is laid out in fixed columns and must not wrap. */
  readonly hex?: boolean;
}

const HEX_LIMIT = 4096;

export function hexDump(bytes: Uint8Array, limit = HEX_LIMIT): string {
  const lines: string[] = [];
  const end = Math.min(bytes.length, limit);
  for (let offset = 0; offset < end; offset += 16) {
    const row = bytes.subarray(offset, Math.min(offset + 16, end));
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

function looksBinary(text: string): boolean {
  if (text.length === 0) return false;
  let odd = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0 || c === 0xfffd || (c < 0x20 && c !== 9 && c !== 10 && c !== 13 && c !== 27)) odd++;
  }
  return text.includes('\u0000') || odd / text.length > 0.1;
}

/** Output given as raw bytes: decoded as UTF-8 when it is text, otherwise dumped in hex. */
export function showBytes(bytes: Uint8Array): ShownOutput {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    if (!looksBinary(text)) return { text: cleanTerminalText(text), note: null };
  } catch {
    // not UTF-8: fall through to the hex dump
  }
  const more = bytes.length > HEX_LIMIT ? `; the first ${HEX_LIMIT} are shown` : '';
  return {
    text: hexDump(bytes),
    hex: true,
    note: `This output is not text (${bytes.length} bytes), so it is shown in hexadecimal${more}.`,
  };
}

/** Output given as text (already decoded by the server, with U+FFFD where bytes were not UTF-8). */
export function showText(text: string): ShownOutput {
  if (looksBinary(text)) {
    return {
      text: cleanTerminalText(text),
      note: 'This output contains bytes that are not text; they are shown as control symbols or as �.',
    };
  }
  return { text: cleanTerminalText(text), note: null };
}

export function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  // Chunked so that large inputs do not overflow the argument list of fromCharCode.
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function decodeBase64(value: string): Uint8Array {
  const binary = atob(value);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Splits command-line arguments the way a person expects from a shell, without any expansion: spaces
 * separate items, and single or double quotes keep spaces inside one item.
 */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let inItem = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) current += line.charAt(++i);
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inItem = true;
    } else if (c === '\\' && i + 1 < line.length) {
      current += line.charAt(++i);
      inItem = true;
    } else if (/\s/.test(c)) {
      if (inItem) out.push(current);
      current = '';
      inItem = false;
    } else {
      current += c;
      inItem = true;
    }
  }
  if (inItem) out.push(current);
  return out;
}

export function joinArgs(args: readonly string[]): string {
  return args.map((a) => (a === '' || /[\s"'\\]/.test(a) ? `"${a.replace(/["\\]/g, '\\$&')}"` : a)).join(' ');
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '–';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}
