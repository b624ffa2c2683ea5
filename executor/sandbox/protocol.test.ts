import { describe, expect, it } from 'vitest';
import { decodeDone, decodeFile, encodeFile, encodeFrame, FrameDecoder } from './protocol.js';

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
});
