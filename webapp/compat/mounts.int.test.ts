import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness } from '../../test/support/webapp-harness.js';
import type { Harness } from '../../test/support/webapp-harness.js';

/**
 * Where the dialects are mounted follows the configuration: Judge0 at the root for clients that cannot
 * add a path, Piston switched off. No executor runs here, so a submission stays In Queue.
 */

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({ env: { REMCODE_JUDGE0_PREFIX: '/', REMCODE_PISTON: 'off' } });
});

afterAll(async () => {
  await harness?.close();
});

describe('dialect mounts', () => {
  it('serves Judge0 at the root when the prefix is /', async () => {
    const statuses = await harness.app.inject({ method: 'GET', url: '/statuses' });
    expect(statuses.statusCode).toBe(200);
    expect(statuses.json<unknown[]>()).toHaveLength(14);
    expect((await harness.app.inject({ method: 'GET', url: '/judge0/statuses' })).statusCode).toBe(404);

    const created = await harness.app.inject({
      method: 'POST',
      url: '/submissions/?base64_encoded=false',
      payload: 'source_code=print(1)&language_id=71',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(created.statusCode).toBe(201);
    const { token } = created.json<{ token: string }>();
    const read = await harness.app.inject({
      method: 'GET',
      url: `/submissions/${token}?fields=token,status`,
    });
    expect(read.json()).toEqual({ token, status: { id: 1, description: 'In Queue' } });
    // The token is a RemCode submission id.
    const v1 = await harness.app.inject({ method: 'GET', url: `/api/v1/submissions/${token}` });
    expect(v1.json()).toMatchObject({ id: token, state: 'queued', language: 'python' });
  });

  it('leaves Piston out when it is off', async () => {
    const runtimes = await harness.app.inject({ method: 'GET', url: '/api/v2/runtimes' });
    expect(runtimes.statusCode).toBe(404);
  });

  it('answers a full queue with 503 and Judge0 error body', async () => {
    const small = await startHarness({ env: { REMCODE_QUEUE_MAX: '1' } });
    try {
      // The queue monitor reads the depth on an interval; fill it and wait until it has seen it.
      const first = await small.app.inject({
        method: 'POST',
        url: '/judge0/submissions',
        payload: { source_code: 'print(1)', language_id: 71 },
      });
      expect(first.statusCode).toBe(201);
      let answer = first;
      for (let i = 0; i < 200 && answer.statusCode === 201; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        answer = await small.app.inject({
          method: 'POST',
          url: '/judge0/submissions',
          payload: { source_code: 'print(1)', language_id: 71 },
        });
      }
      expect(answer.statusCode).toBe(503);
      expect(answer.json()).toEqual({ error: 'queue is full' });
    } finally {
      await small.close();
    }
  });
});
