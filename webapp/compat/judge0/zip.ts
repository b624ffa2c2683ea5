import { crc32, inflateRawSync } from 'node:zlib';

/**
 * Judge0's `additional_files`: a zip archive whose files are placed beside the program. Read here, in the
 * webapp, into plain named files, so that the executor only ever writes regular files it names itself:
 * nothing in the archive decides where a file goes (no absolute or `..` paths), what it is (no symlinks,
 * devices or directories given as files) or how large it gets (declared sizes are checked before
 * inflating, and inflating stops at the declared size).
 */

export class ZipError extends Error {
  override readonly name = 'ZipError';
}

export interface ZipLimits {
  /** Files at most. */
  readonly entries: number;
  /** Bytes of one file at most. */
  readonly fileBytes: number;
  /** Bytes of all files together at most. */
  readonly totalBytes: number;
}

export interface ZipFile {
  readonly name: string;
  readonly content: Buffer;
}

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
/** The end record is 22 bytes and may be followed by a comment of up to 64 KiB. */
const END_SEARCH = 22 + 0xffff;
const MADE_ON_UNIX = 3;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

function findEnd(zip: Buffer): number {
  for (let at = zip.length - 22; at >= Math.max(0, zip.length - END_SEARCH); at--) {
    if (zip.readUInt32LE(at) === END_OF_DIRECTORY) return at;
  }
  throw new ZipError('is not a zip archive');
}

function checkPath(name: string): void {
  const segments = name.split('/');
  if (
    name === '' ||
    name.startsWith('/') ||
    name.includes('\\') ||
    name.includes('\0') ||
    /^[A-Za-z]:/.test(name) ||
    segments.some((s) => s === '..' || s === '.' || s === '')
  )
    throw new ZipError(`holds a file with a path that is not allowed: ${JSON.stringify(name.slice(0, 64))}`);
}

/** The regular files of a zip archive, in archive order; throws ZipError for anything else. */
export function unpackZip(zip: Buffer, limits: ZipLimits): ZipFile[] {
  const end = findEnd(zip);
  const count = zip.readUInt16LE(end + 10);
  const directorySize = zip.readUInt32LE(end + 12);
  const directoryAt = zip.readUInt32LE(end + 16);
  if (count === 0xffff || directoryAt === 0xffffffff || directorySize === 0xffffffff)
    throw new ZipError('is a zip64 archive, which is not supported');
  if (
    zip.readUInt16LE(end + 4) !== 0 ||
    zip.readUInt16LE(end + 6) !== 0 ||
    zip.readUInt16LE(end + 8) !== count
  )
    throw new ZipError('spans several disks, which is not supported');
  if (directoryAt + directorySize > end) throw new ZipError('has a damaged central directory');

  const files: ZipFile[] = [];
  const names = new Set<string>();
  let total = 0;
  let at = directoryAt;
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || zip.readUInt32LE(at) !== DIRECTORY_ENTRY)
      throw new ZipError('has a damaged central directory');
    const madeOn = zip.readUInt8(at + 5);
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const mode = zip.readUInt32LE(at + 38) >>> 16;
    const localAt = zip.readUInt32LE(at + 42);
    if (at + 46 + nameLength > end) throw new ZipError('has a damaged central directory');
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;

    const type = madeOn === MADE_ON_UNIX ? mode & S_IFMT : 0;
    if (name.endsWith('/') || type === S_IFDIR) {
      // A directory is created by the files in it; an empty one carries nothing a program could read.
      checkPath(name.replace(/\/$/, ''));
      continue;
    }
    checkPath(name);
    if (type !== 0 && type !== S_IFREG)
      throw new ZipError(`holds ${JSON.stringify(name.slice(0, 64))}, which is a link or special file`);
    if ((flags & 0x1) !== 0)
      throw new ZipError(`holds an encrypted file, ${JSON.stringify(name.slice(0, 64))}`);
    if (method !== 0 && method !== 8)
      throw new ZipError(
        `holds ${JSON.stringify(name.slice(0, 64))} compressed in a way that is not supported`,
      );
    if (names.has(name)) throw new ZipError(`holds ${JSON.stringify(name.slice(0, 64))} twice`);
    if (files.length === limits.entries) throw new ZipError(`holds more than ${limits.entries} files`);
    if (size > limits.fileBytes)
      throw new ZipError(`holds ${JSON.stringify(name.slice(0, 64))}, larger than ${limits.fileBytes} bytes`);
    total += size;
    if (total > limits.totalBytes) throw new ZipError(`unpacks to more than ${limits.totalBytes} bytes`);

    if (localAt + 30 > directoryAt || zip.readUInt32LE(localAt) !== LOCAL_HEADER)
      throw new ZipError('has a damaged file header');
    const dataAt = localAt + 30 + zip.readUInt16LE(localAt + 26) + zip.readUInt16LE(localAt + 28);
    if (dataAt + compressed > directoryAt) throw new ZipError('has a damaged file');
    const data = zip.subarray(dataAt, dataAt + compressed);
    let content: Buffer;
    try {
      // maxOutputLength stops a file that inflates past what it declared (a zip bomb) early.
      content =
        method === 0 ? Buffer.from(data) : inflateRawSync(data, { maxOutputLength: Math.max(1, size) });
    } catch (error) {
      throw new ZipError(`holds ${JSON.stringify(name.slice(0, 64))}, which cannot be inflated`, {
        cause: error,
      });
    }
    if (content.length !== size || crc32(content) !== crc)
      throw new ZipError(`holds ${JSON.stringify(name.slice(0, 64))}, which does not match its checksum`);
    names.add(name);
    files.push({ name, content });
  }
  return files;
}
