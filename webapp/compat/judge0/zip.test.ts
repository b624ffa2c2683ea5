import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ZipError, unpackZip } from './zip.js';
import { writeZip } from './zip-fixtures.js';

const limits = { entries: 8, fileBytes: 1024, totalBytes: 2048 };

function problem(zip: Buffer, bounds = limits): string {
  try {
    unpackZip(zip, bounds);
  } catch (error) {
    if (error instanceof ZipError) return error.message;
    throw error;
  }
  return 'accepted';
}

describe('unpackZip', () => {
  it('reads stored and deflated files, in folders too, and skips directory entries', () => {
    const zip = writeZip([
      { name: 'data/', mode: 0o040755 },
      { name: 'data/input.txt', content: '1 2 3\n' },
      { name: 'helper.py', content: 'X = 42\n', deflate: false },
    ]);
    expect(unpackZip(zip, limits)).toEqual([
      { name: 'data/input.txt', content: Buffer.from('1 2 3\n') },
      { name: 'helper.py', content: Buffer.from('X = 42\n') },
    ]);
  });

  it('reads what the zip program writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'remcode-zip-'));
    try {
      writeFileSync(join(dir, 'a.txt'), 'alpha\n'.repeat(50));
      execFileSync('zip', ['-q', '-r', 'out.zip', 'a.txt'], { cwd: dir });
      const files = unpackZip(execFileSync('cat', [join(dir, 'out.zip')]), limits);
      expect(files).toEqual([{ name: 'a.txt', content: Buffer.from('alpha\n'.repeat(50)) }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a symlink written by the zip program', () => {
    const dir = mkdtempSync(join(tmpdir(), 'remcode-zip-'));
    try {
      symlinkSync('/etc/passwd', join(dir, 'passwd'));
      execFileSync('zip', ['-q', '--symlinks', 'out.zip', 'passwd'], { cwd: dir });
      expect(problem(execFileSync('cat', [join(dir, 'out.zip')]))).toBe(
        'holds "passwd", which is a link or special file',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['../escape.txt', 'holds a file with a path that is not allowed: "../escape.txt"'],
    ['a/../../escape.txt', 'holds a file with a path that is not allowed: "a/../../escape.txt"'],
    ['/etc/cron.d/x', 'holds a file with a path that is not allowed: "/etc/cron.d/x"'],
    ['C:/x.txt', 'holds a file with a path that is not allowed: "C:/x.txt"'],
    ['a\\..\\b', 'holds a file with a path that is not allowed: "a\\\\..\\\\b"'],
    ['a//b', 'holds a file with a path that is not allowed: "a//b"'],
  ])('refuses the path %s', (name, message) => {
    expect(problem(writeZip([{ name, content: 'x' }]))).toBe(message);
  });

  it('refuses links, devices and fifos by their mode', () => {
    expect(problem(writeZip([{ name: 'link', content: '/etc/shadow', mode: 0o120777 }]))).toBe(
      'holds "link", which is a link or special file',
    );
    expect(problem(writeZip([{ name: 'fifo', mode: 0o010644 }]))).toBe(
      'holds "fifo", which is a link or special file',
    );
  });

  it('refuses more files than allowed, a file too large and too much in all', () => {
    const many = Array.from({ length: 9 }, (_, i) => ({ name: `f${i}`, content: 'x' }));
    expect(problem(writeZip(many))).toBe('holds more than 8 files');
    expect(problem(writeZip([{ name: 'big', content: Buffer.alloc(1025) }]))).toBe(
      'holds "big", larger than 1024 bytes',
    );
    const spread = Array.from({ length: 3 }, (_, i) => ({ name: `f${i}`, content: Buffer.alloc(1000) }));
    expect(problem(writeZip(spread))).toBe('unpacks to more than 2048 bytes');
  });

  it('stops a file that inflates past its declared size (a zip bomb)', () => {
    const bomb = writeZip([{ name: 'bomb', content: Buffer.alloc(8 * 1024 ** 2), declaredSize: 100 }]);
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(problem(bomb)).toBe('holds "bomb", which cannot be inflated');
  });

  it('refuses the same name twice, bad checksums and what is not a zip', () => {
    expect(
      problem(
        writeZip([
          { name: 'a', content: '1' },
          { name: 'a', content: '2' },
        ]),
      ),
    ).toBe('holds "a" twice');
    const zip = writeZip([{ name: 'a.txt', content: 'hello', deflate: false }]);
    zip[30 + 'a.txt'.length] = 'j'.charCodeAt(0);
    expect(problem(zip)).toBe('holds "a.txt", which does not match its checksum');
    expect(problem(Buffer.from('print(1)\n'))).toBe('is not a zip archive');
    expect(problem(Buffer.alloc(0))).toBe('is not a zip archive');
  });
});
