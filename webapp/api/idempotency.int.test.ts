import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../access/api-keys.js';
import { fakeRun, startHarness } from '../../test/support/webapp-harness.js';
import type { Harness } from '../../test/support/webapp-harness.js';

let h: Harness;
let judged = 0;

beforeAll(async () => {
  h = await startHarness({
    env: { REMCODE_IDEMPOTENCY_WINDOW: '2s' },
    judge: () => {
      judged++;
      return Promise.resolve({
        verdict: 'accepted',
        compile: null,
        tests: [{ verdict: 'accepted', result: fakeRun('hi') }],
      });
    },
  });
});
afterAll(async () => {
  await h?.close();
});

function post(body: object, headers: Record<string, string>, query = '') {
  return h.app.inject({ method: 'POST', url: `/api/v1/submissions${query}`, payload: body, headers });
}

describe('Idempotency-Key on POST /api/v1/submissions', () => {
  const body = { language: 'python', source: 'print("hi")' };

  it('answers a repeat with the first submission, which runs once', async () => {
    const before = judged;
    const first = await post(body, { 'idempotency-key': 'order-1' });
    expect(first.statusCode).toBe(201);
    const again = await post(body, { 'idempotency-key': 'order-1' });
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(again.headers.location).toBe(first.headers.location);
    // A repeat that waits gets the finished result of the first.
    const waited = await post(body, { 'idempotency-key': 'order-1' }, '?wait=true');
    expect(waited.statusCode).toBe(200);
    expect(waited.json()).toMatchObject({ id: first.json<{ id: string }>().id, state: 'finished' });
    const { rows } = await h.ctx.pool.query(
      "SELECT count(*)::int AS n FROM submissions WHERE idempotency_key = 'order-1'",
    );
    expect(rows[0]).toEqual({ n: 1 });
    expect(judged - before).toBe(1);
  });

  it('refuses the same key for a different submission with 422, and keeps keys apart per API key', async () => {
    await post(body, { 'idempotency-key': 'order-2' });
    const other = await post({ ...body, stdin: 'different' }, { 'idempotency-key': 'order-2' });
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ code: 'idempotency_key_reused' });
    const { key } = await createApiKey(h.ctx.pool, 'idempotency', null);
    const keyed = await post(
      { ...body, stdin: 'different' },
      { 'idempotency-key': 'order-2', authorization: `Bearer ${key}` },
    );
    expect(keyed.statusCode).toBe(201);
  });

  it('takes a key again once its window has passed, and refuses a malformed key', async () => {
    const first = await post(body, { 'idempotency-key': 'order-3' });
    await h.ctx.pool.query(
      "UPDATE submissions SET created_at = now() - interval '1 minute' WHERE idempotency_key = 'order-3'",
    );
    const later = await post(body, { 'idempotency-key': 'order-3' });
    expect(later.statusCode).toBe(201);
    expect(later.json<{ id: string }>().id).not.toBe(first.json<{ id: string }>().id);
    const bad = await post(body, { 'idempotency-key': 'has space' });
    expect(bad.statusCode).toBe(400);
  });
});
