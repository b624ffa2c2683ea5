/**
 * The executor's half of the wire protocol spoken with remcode-sandboxd (see native/protocol.h):
 * u32 little-endian length, u8 type, payload.
 */
import type { OutputStream, RunLimits } from './types.js';

export const Request = {
  workspace: 0x57, // 'W'
  file: 0x46, // 'F'
  run: 0x52, // 'R'
  cancel: 0x43, // 'C'
  snapshot: 0x53, // 'S'
  release: 0x58, // 'X'
  warm: 0x5a, // 'Z'
} as const;

export const Response = {
  ready: 0x59, // 'Y'
  ok: 0x4b, // 'K'
  error: 0x45, // 'E'
  output: 0x4f, // 'O'
  done: 0x44, // 'D'
  file: 0x46, // 'F'
} as const;

export const KillReason = { none: 0, cpu: 1, wall: 2, output: 3, cancel: 4, internal: 5 } as const;
export const EndKind = { exited: 0, signaled: 1, unknown: 2, execFailed: 3, cwdFailed: 4 } as const;

const Tag = {
  arg: 1,
  env: 2,
  cwd: 3,
  stdin: 4,
  next: 5,
  cpuMs: 10,
  wallMs: 11,
  memory: 12,
  processes: 13,
  output: 14,
  fileSize: 15,
  openFiles: 16,
  stack: 17,
  tmp: 18,
} as const;

export interface Frame {
  readonly type: number;
  readonly payload: Buffer;
}

export function encodeFrame(type: number, ...parts: Buffer[]): Buffer {
  const length = 1 + parts.reduce((sum, p) => sum + p.length, 0);
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32LE(length, 0);
  head.writeUInt8(type, 4);
  return Buffer.concat([head, ...parts]);
}

function u64(value: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64LE(BigInt(value));
  return b;
}

function u32(value: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(value);
  return b;
}

function field(tag: number, value: Buffer): Buffer[] {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt8(tag, 0);
  head.writeUInt32LE(value.length, 1);
  return [head, value];
}

export function encodeWorkspace(sizeBytes: number): Buffer {
  return encodeFrame(Request.workspace, u64(sizeBytes));
}

export function encodeFile(path: string, mode: number, content: Uint8Array): Buffer {
  const p = Buffer.from(path, 'utf8');
  return encodeFrame(
    Request.file,
    u32(mode),
    u32(p.length),
    p,
    Buffer.from(content.buffer, content.byteOffset, content.byteLength),
  );
}

export function encodeSnapshot(maxBytes: number): Buffer {
  return encodeFrame(Request.snapshot, u64(maxBytes));
}

export interface EncodedRun {
  readonly argv: readonly string[];
  readonly env: readonly string[];
  readonly cwd: string;
  readonly stdin: Uint8Array;
  readonly limits: RunLimits;
  /** Another run of the same job follows: the helper builds its box while this one runs. */
  readonly next?: boolean;
}

export function encodeRun(run: EncodedRun): Buffer {
  const parts: Buffer[] = [];
  for (const a of run.argv) parts.push(...field(Tag.arg, Buffer.from(a, 'utf8')));
  for (const e of run.env) parts.push(...field(Tag.env, Buffer.from(e, 'utf8')));
  parts.push(...field(Tag.cwd, Buffer.from(run.cwd, 'utf8')));
  if (run.stdin.byteLength > 0) {
    parts.push(
      ...field(Tag.stdin, Buffer.from(run.stdin.buffer, run.stdin.byteOffset, run.stdin.byteLength)),
    );
  }
  const l = run.limits;
  const numbers: [number, number][] = [
    [Tag.cpuMs, l.cpuTimeMs],
    [Tag.wallMs, l.wallTimeMs],
    [Tag.memory, l.memoryBytes],
    [Tag.processes, l.processes],
    [Tag.output, l.outputBytes],
    [Tag.fileSize, l.fileSizeBytes],
    [Tag.openFiles, l.openFiles],
    [Tag.stack, l.stackBytes],
    [Tag.tmp, l.tmpBytes],
  ];
  for (const [tag, value] of numbers) parts.push(...field(tag, u64(value)));
  if (run.next) parts.push(...field(Tag.next, Buffer.alloc(0)));
  return encodeFrame(Request.run, ...parts);
}

/** Starts the slot's warm interpreter (an empty argv stops it). See native/zygote.c. */
export function encodeWarm(argv: readonly string[], env: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (const a of argv) parts.push(...field(Tag.arg, Buffer.from(a, 'utf8')));
  for (const e of env) parts.push(...field(Tag.env, Buffer.from(e, 'utf8')));
  return encodeFrame(Request.warm, ...parts);
}

export interface DoneFrame {
  readonly endKind: number;
  readonly endCode: number;
  readonly killReason: number;
  readonly cpuNs: bigint;
  readonly wallNs: bigint;
  readonly memoryBytes: bigint;
  readonly oomKills: bigint;
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
  /** The run used a box of the warm interpreter. */
  readonly warmStart: boolean;
  readonly message: string | null;
}

const DONE_SIZE = 47;

export function decodeDone(payload: Buffer): DoneFrame {
  if (payload.length < DONE_SIZE)
    throw new Error(`sandbox helper sent a short result (${payload.length} bytes)`);
  const message = payload.subarray(DONE_SIZE).toString('utf8');
  return {
    endKind: payload.readUInt32LE(0),
    endCode: payload.readInt32LE(4),
    killReason: payload.readUInt32LE(8),
    cpuNs: payload.readBigUInt64LE(12),
    wallNs: payload.readBigUInt64LE(20),
    memoryBytes: payload.readBigUInt64LE(28),
    oomKills: payload.readBigUInt64LE(36),
    stdoutTruncated: payload[44] === 1,
    stderrTruncated: payload[45] === 1,
    warmStart: payload[46] === 1,
    message: message.length > 0 ? message : null,
  };
}

export function decodeOutput(payload: Buffer): { stream: OutputStream; chunk: Buffer } {
  return { stream: payload[0] === 2 ? 'stderr' : 'stdout', chunk: payload.subarray(1) };
}

export function decodeFile(payload: Buffer): { path: string; mode: number; content: Buffer } {
  const mode = payload.readUInt32LE(0);
  const pathLength = payload.readUInt32LE(4);
  const path = payload.subarray(8, 8 + pathLength).toString('utf8');
  return { path, mode, content: Buffer.from(payload.subarray(8 + pathLength)) };
}

export function decodeError(payload: Buffer): { code: number; message: string } {
  return { code: payload[0] ?? 0, message: payload.subarray(1).toString('utf8') };
}

/**
 * Splits a byte stream into frames; keeps partial frames across chunks. Chunks are joined only once a
 * whole frame is there, so a large frame arriving in pipe-sized pieces costs one copy, not one per piece.
 */
export class FrameDecoder {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #needed = 5;

  push(chunk: Buffer): Frame[] {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes < this.#needed) return [];
    let buf = this.#pending.length === 1 ? chunk : Buffer.concat(this.#pending, this.#pendingBytes);
    const frames: Frame[] = [];
    this.#needed = 5;
    while (buf.length >= 5) {
      const length = buf.readUInt32LE(0);
      if (buf.length < 4 + length) {
        this.#needed = 4 + length;
        break;
      }
      frames.push({ type: buf[4] ?? 0, payload: buf.subarray(5, 4 + length) });
      buf = buf.subarray(4 + length);
    }
    this.#pending = buf.length > 0 ? [buf] : [];
    this.#pendingBytes = buf.length;
    return frames;
  }
}
