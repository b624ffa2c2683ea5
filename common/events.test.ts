import { describe, expect, it } from 'vitest';
import { parseNotice } from './events.js';

describe('parseNotice', () => {
  it('reads the id and type of a bare notice', () => {
    expect(parseNotice('abc state')).toEqual({ id: 'abc', type: 'state', data: undefined });
  });

  it('keeps everything after the type as data, spaces included', () => {
    expect(parseNotice('abc result {"a": "b c"}')).toEqual({
      id: 'abc',
      type: 'result',
      data: '{"a": "b c"}',
    });
  });

  it('refuses a message without an id or a type', () => {
    expect(parseNotice('')).toBeUndefined();
    expect(parseNotice('lonely')).toBeUndefined();
    expect(parseNotice(' result')).toBeUndefined();
  });
});
