import { describe, expect, it } from 'vitest';
import {
  decodeDone,
  decodeFile,
  encodeFile,
  encodeFrame,
  encodeRun,
  encodeWarm,
  FrameDecoder,
} from './protocol.js';
import { TEST_RUN_LIMITS } from '../../test/support/run-limits.js';

describe('FrameDecoder', () => {
  it('reassembles frames split at every possible byte boundary', () => {
    const stream = Buffer.concat([
      encodeFrame(0x4f, Buffer.from([1]), Buffer.from('hello')),
      encodeFrame(0x4b),
      encodeFrame(0x45, Buffer.from('x')),
    ]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder();
      const frames = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(frames.map((f) => f.type)).toEqual([0x4f, 0x4b, 0x45]);
      expect(frames[0]!.payload.toString('latin1')).toBe('\x01hello');
    }
  });

  it('yields nothing until a frame is complete', () => {
    const d = new FrameDecoder();
    const frame = encodeFrame(0x4b, Buffer.alloc(100));
    expect(d.push(frame.subarray(0, 50))).toEqual([]);
    expect(d.push(frame.subarray(50))).toHaveLength(1);
  });
});

describe('file frames', () => {
  it('round-trip path, mode and binary content', () => {
    const content = Buffer.from([0, 255, 10, 13]);
    const frame = encodeFile('src/main.c', 0o755, content);
    const [decoded] = new FrameDecoder().push(frame);
    expect(decodeFile(decoded!.payload)).toEqual({ path: 'src/main.c', mode: 0o755, content });
  });
});

describe('decodeDone', () => {
  it('rejects a short payload instead of reading garbage', () => {
    expect(() => decodeDone(Buffer.alloc(10))).toThrow(/short result/);
  });

  it('reads the warm-start flag after the truncation flags, and the message after that', () => {
    const payload = Buffer.concat([Buffer.alloc(44), Buffer.from([1, 0, 1]), Buffer.from('why')]);
    expect(decodeDone(payload)).toMatchObject({
      stdoutTruncated: true,
      stderrTruncated: false,
      warmStart: true,
      message: 'why',
    });
    expect(decodeDone(Buffer.alloc(47)).warmStart).toBe(false);
  });
});

describe('encodeWarm', () => {
  it('sends argv items, then environment entries, as tagged fields', () => {
    const [frame] = new FrameDecoder().push(encodeWarm(['python3', '-c', 'x'], ['A=1']));
    expect(frame!.type).toBe(0x5a);
    const fields: [number, string][] = [];
    for (let off = 0; off < frame!.payload.length;) {
      const length = frame!.payload.readUInt32LE(off + 1);
      fields.push([frame!.payload[off]!, frame!.payload.toString('utf8', off + 5, off + 5 + length)]);
      off += 5 + length;
    }
    expect(fields).toEqual([
      [1, 'python3'],
      [1, '-c'],
      [1, 'x'],
      [2, 'A=1'],
    ]);
  });
});

describe('run frames', () => {
  const run = { argv: ['./main'], env: [], cwd: '/box', stdin: new Uint8Array(), limits: TEST_RUN_LIMITS };
  /** The tags of a run frame's fields, in order. */
  const tags = (frame: Buffer): number[] => {
    const [decoded] = new FrameDecoder().push(frame);
    const found: number[] = [];
    for (let off = 0; off < decoded!.payload.length; off += 5 + decoded!.payload.readUInt32LE(off + 1))
      found.push(decoded!.payload[off]!);
    return found;
  };

  it('say that another run follows with an empty field 5, and only then', () => {
    const followed = tags(encodeRun({ ...run, next: true }));
    expect(followed.filter((tag) => tag === 5)).toHaveLength(1);
    expect(tags(encodeRun(run))).not.toContain(5);
    expect(tags(encodeRun({ ...run, next: false }))).toEqual(tags(encodeRun(run)));
    const [decoded] = new FrameDecoder().push(encodeRun({ ...run, next: true }));
    expect(decoded!.payload.subarray(-5)).toEqual(Buffer.from([5, 0, 0, 0, 0]));
  });
});
