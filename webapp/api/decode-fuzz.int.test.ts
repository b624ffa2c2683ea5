import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness } from '../../test/support/webapp-harness.js';
import type { Harness } from '../../test/support/webapp-harness.js';

/** A small seeded generator so that a failure can be replayed from the printed seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  '../../etc/passwd',
  '/etc/shadow',
  '$(reboot)',
  '`id`',
  '; rm -rf /',
  '%s%s%s%n',
  '\uD800',
  '\u202E',
  'A'.repeat(5000),
  '=',
  '====',
  'Zm9v',
  '-1s',
  '1e309',
  'NaN',
  'Infinity',
  '256MiB',
  '2s',
  '99999999999999999999GiB',
  '__proto__',
  'constructor',
  'python',
  'c',
  'main.py',
  'a/./b',
  'a//b',
  '.hidden',
];

const KEYS = [
  'language',
  'version',
  'source',
  'files',
  'stdin',
  'args',
  'compiler_args',
  'tests',
  'limits',
  'encoding',
  'name',
  'content',
  'expected_output',
  'cpu_time',
  'wall_time',
  'memory',
  'processes',
  'output',
  'file_size',
  '__proto__',
  'constructor',
  'prototype',
];

function generator(random: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const value = (depth: number): unknown => {
    const r = random();
    if (depth > 4 || r < 0.3) return pick(HOSTILE_STRINGS);
    if (r < 0.45) return pick([0, -1, 1.5, 1e308, -0, 2 ** 53 + 1, 3, 1000]);
    if (r < 0.5) return pick([true, false, null]);
    if (r < 0.7) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
    const object: Record<string, unknown> = {};
    for (let i = Math.floor(random() * 5); i > 0; i--) object[pick(KEYS)] = value(depth + 1);
    return object;
  };
  /** A valid submission with one field replaced by something random. */
  const mutated = (): unknown => {
    const base: Record<string, unknown> = {
      language: 'python',
      source: 'print(1)',
      stdin: '',
      args: ['a'],
      limits: { cpu_time: '1s', memory: '64MiB' },
    };
    if (random() < 0.3) base.encoding = 'base64';
    base[pick(KEYS)] = value(1);
    return base;
  };
  return { value, mutated, pick };
}

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ env: { REMCODE_QUEUE_MAX: '1000000', REMCODE_MAX_BODY: '64KiB' } });
});

afterAll(async () => {
  await h.close();
});

describe('the submission decoder under random and hostile bodies', () => {
  it('answers every body with 201 or a 4xx problem, never a 5xx', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const gen = generator(random);
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 1500; i++) {
      const r = random();
      const payload =
        r < 0.1
          ? Buffer.from(Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * 256)))
          : r < 0.15
            ? JSON.stringify(gen.value(0)).slice(0, Math.floor(random() * 50))
            : (JSON.stringify(r < 0.6 ? gen.mutated() : gen.value(0)) ?? 'null');
      const response = await h.app.inject({
        method: 'POST',
        url: '/api/v1/submissions',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      const context = `seed ${seed}, case ${i}: ${String(payload).slice(0, 200)}`;
      expect(response.statusCode, context).toBeLessThan(500);
      if (response.statusCode === 201) {
        expect(response.json<{ id: string }>().id, context).toMatch(/^[0-9a-f-]{36}$/);
      } else {
        expect(response.headers['content-type'], context).toMatch(/^application\/problem\+json/);
        expect(response.json<{ code: string }>().code, context).toMatch(/^[a-z0-9_]+$/);
      }
      const key = `${response.statusCode} ${response.statusCode === 201 ? '' : response.json<{ code: string }>().code}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    // The generator must reach both sides of the decoder, or the test proves little.
    expect(outcomes.get('201 ') ?? 0).toBeGreaterThan(10);
    expect([...outcomes.keys()].filter((k) => k.startsWith('422')).length).toBeGreaterThan(2);
  });
});
